import { useEffect, useId, useState, type ChangeEvent } from 'react';
import { del, put } from '../api.ts';
import { ErrorMessage, Notice, useAction } from './ui.tsx';

function initials(name: string): string {
  const letters = name
    .split(/[\s@._-]+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((part) => part[0]!.toUpperCase());
  return letters.join('') || '?';
}

/**
 * The avatar image, or the initials when there is none. `updatedAt` is when the avatar was set
 * (`avatarUpdatedAt` of /me and of a user's activity): null or not known yet shows the initials
 * without asking for an image that isn't there (a 404 would be a console error on every page).
 */
export function AvatarImage({ src, name, updatedAt, size = 'large' }: { src: string; name: string; updatedAt: string | null | undefined; size?: 'large' | 'small' }) {
  const [failed, setFailed] = useState(false);
  useEffect(() => setFailed(false), [src, updatedAt]);
  if (!updatedAt || failed) {
    return (
      <span className={`avatar avatar-${size}`} aria-hidden="true">
        {initials(name)}
      </span>
    );
  }
  return <img className={`avatar avatar-${size}`} src={`${src}?v=${encodeURIComponent(updatedAt)}`} alt={`Avatar of ${name}`} onError={() => setFailed(true)} />;
}

/** Uploads a PNG, JPEG or WebP image (at most 512 KiB) as the avatar at `path`, or removes it. */
export function AvatarUpload({ path, onChange }: { path: string; onChange: () => void }) {
  const id = useId();
  const action = useAction();
  const [done, setDone] = useState<string>();
  const upload = (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    event.target.value = '';
    if (!file) return;
    setDone(undefined);
    void action.run(async () => {
      if (file.size > 512 * 1024) throw new Error('The image is larger than 512 KiB.');
      await put(path, undefined, { raw: { body: file, contentType: file.type || 'application/octet-stream' } });
      setDone('Avatar updated.');
      onChange();
    });
  };
  const remove = () =>
    action.run(async () => {
      setDone(undefined);
      await del(path);
      setDone('Avatar removed.');
      onChange();
    });
  return (
    <div className="avatar-upload">
      <label htmlFor={id}>Avatar image</label>
      <input id={id} type="file" accept="image/png,image/jpeg,image/webp" onChange={upload} disabled={action.pending} />
      <button type="button" className="small" onClick={() => void remove()} disabled={action.pending}>
        Remove avatar
      </button>
      <small className="muted">PNG, JPEG or WebP, at most 512 KiB.</small>
      <ErrorMessage error={action.error} />
      {done && <Notice>{done}</Notice>}
    </div>
  );
}

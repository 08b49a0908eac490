import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadAppSettings, loadServerConfig } from '../src/config/config.ts';
import { parseTimeSpan } from '../src/config/timespan.ts';
import { createSignedInUser, engines, startTestServer, type TestServer } from './support/harness.ts';

const SECOND = 1000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('appsettings.json and the environment', () => {
  let cwd: string;
  beforeEach(() => {
    cwd = mkdtempSync(path.join(tmpdir(), 'sophon-config-'));
  });
  afterEach(() => rmSync(cwd, { recursive: true, force: true }));

  const writeSettings = (settings: unknown, file = 'appsettings.json') => {
    const full = path.join(cwd, file);
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, typeof settings === 'string' ? settings : JSON.stringify(settings));
    return full;
  };
  /** The error message of loading, which must be a ConfigError. */
  const failure = (environment: Record<string, string> = {}) => {
    try {
      loadAppSettings(environment, cwd);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as Error).message;
    }
    throw new Error('the configuration was accepted');
  };

  it("uses the seed's defaults without a file: 8 hours idle, 7 days absolute", () => {
    const settings = loadAppSettings({}, cwd);
    expect(settings.Sophon.Auth.IdleTimeout).toBe(8 * HOUR);
    expect(settings.Sophon.Auth.AbsoluteTimeout).toBe(7 * DAY);
    expect(settings.Sophon.Rbac.MaxCustomRolesPerTenant).toBe(100);
    expect(settings.Sophon.Smtp).toBeUndefined();
  });

  it('reads appsettings.json from the working directory', () => {
    writeSettings({ Sophon: { Auth: { IdleTimeout: '02:30:00', AbsoluteTimeout: '1.00:00:00' } } });
    const settings = loadAppSettings({}, cwd);
    expect(settings.Sophon.Auth.IdleTimeout).toBe(2.5 * HOUR);
    expect(settings.Sophon.Auth.AbsoluteTimeout).toBe(DAY);
  });

  it('reads the file named by SOPHON_CONFIG instead, relative to the working directory or absolute', () => {
    writeSettings({ Sophon: { Auth: { IdleTimeout: '09:00:00' } } });
    const other = writeSettings({ Sophon: { Auth: { IdleTimeout: '01:00:00' } } }, 'etc/sophon.json');
    expect(loadAppSettings({ SOPHON_CONFIG: 'etc/sophon.json' }, cwd).Sophon.Auth.IdleTimeout).toBe(HOUR);
    expect(loadAppSettings({ SOPHON_CONFIG: other }, cwd).Sophon.Auth.IdleTimeout).toBe(HOUR);
  });

  it('refuses a SOPHON_CONFIG that names a missing file, naming it', () => {
    expect(failure({ SOPHON_CONFIG: 'missing.json' })).toContain('missing.json');
  });

  it('lets the environment override the file, .NET style', () => {
    writeSettings({ Sophon: { Auth: { IdleTimeout: '06:00:00' } } });
    const settings = loadAppSettings({ Sophon__Auth__IdleTimeout: '04:00:00' }, cwd);
    expect(settings.Sophon.Auth.IdleTimeout).toBe(4 * HOUR);
  });

  it('matches environment keys case-insensitively, as .NET does', () => {
    writeSettings({ Sophon: { Auth: { IdleTimeout: '06:00:00' } } });
    expect(loadAppSettings({ SOPHON__AUTH__IDLETIMEOUT: '03:00:00' }, cwd).Sophon.Auth.IdleTimeout).toBe(3 * HOUR);
  });

  it('matches environment keys case-insensitively even for sections the file leaves out', () => {
    const settings = loadAppSettings({ SOPHON__AUTH__IDLETIMEOUT: '03:00:00', sophon__rbac__maxcustomrolespertenant: '7' }, cwd);
    expect(settings.Sophon.Auth.IdleTimeout).toBe(3 * HOUR);
    expect(settings.Sophon.Rbac.MaxCustomRolesPerTenant).toBe(7);
  });

  it('turns environment strings into numbers and booleans', () => {
    const settings = loadAppSettings({ Sophon__Rbac__MaxCustomRolesPerTenant: '2', Sophon__Auth__CookieSecure: 'true', Sophon__Auth__Password__MinLength: '16' }, cwd);
    expect(settings.Sophon.Rbac.MaxCustomRolesPerTenant).toBe(2);
    expect(settings.Sophon.Auth.CookieSecure).toBe(true);
    expect(settings.Sophon.Auth.Password.MinLength).toBe(16);
  });

  it('ignores environment variables that are not Sophon settings', () => {
    expect(() => loadAppSettings({ PATH: '/usr/bin', SOPHON_PORT: '9000', SOPHONX__A: 'b' }, cwd)).not.toThrow();
  });

  it('names an unknown key, so a typo cannot fall back to a default', () => {
    writeSettings({ Sophon: { Auth: { IdleTimout: '01:00:00' } } });
    const message = failure();
    expect(message).toContain('Sophon:Auth:IdleTimout');
    expect(message).toContain('unknown setting');
  });

  it('names an unknown key that came from the environment', () => {
    expect(failure({ Sophon__Auth__IdleTimout: '01:00:00' })).toContain('IdleTimout');
  });

  it('names a bad value and says what is wrong with it', () => {
    writeSettings({ Sophon: { Auth: { IdleTimeout: '8 hours' } } });
    const message = failure();
    expect(message).toContain('Sophon:Auth:IdleTimeout');
    expect(message).toContain('"8 hours" is not a TimeSpan');
  });

  it('names a bad value that came from the environment', () => {
    const message = failure({ Sophon__Rbac__MaxCustomRolesPerTenant: 'lots' });
    expect(message).toContain('Sophon:Rbac:MaxCustomRolesPerTenant');
  });

  it('refuses a zero timeout', () => {
    expect(failure({ Sophon__Auth__AbsoluteTimeout: '00:00:00' })).toContain('Sophon:Auth:AbsoluteTimeout');
  });

  it('names every problem at once', () => {
    const message = failure({ Sophon__Auth__IdleTimeout: 'soon', Sophon__Rbac__MaxCustomRolesPerTenant: '0' });
    expect(message).toContain('Sophon:Auth:IdleTimeout');
    expect(message).toContain('Sophon:Rbac:MaxCustomRolesPerTenant');
  });

  it('refuses a file that is not JSON, naming the file', () => {
    const file = writeSettings('{ "Sophon": { ');
    const message = failure();
    expect(message).toContain(file);
    expect(message).toContain('not valid JSON');
  });

  it('refuses a file that holds something other than an object', () => {
    writeSettings('["Sophon"]');
    expect(failure()).toContain('must hold a JSON object');
  });

  it('refuses an incomplete Smtp section, naming the missing key', () => {
    writeSettings({ Sophon: { Smtp: { Host: 'mail.example.test' } } });
    expect(failure()).toContain('Sophon:Smtp:From');
  });

  it('reads the server settings from SOPHON_* variables, and refuses a bad port', () => {
    const config = loadServerConfig({ SOPHON_HOST: '0.0.0.0', SOPHON_PORT: '9090', SOPHON_DATA_DIR: 'state', SOPHON_BOOTSTRAP_ADMIN_EMAIL: 'root@example.test' }, cwd);
    expect(config).toMatchObject({ host: '0.0.0.0', port: 9090, dataDir: path.join(cwd, 'state'), bootstrapAdminEmail: 'root@example.test', databaseUrl: undefined });
    const defaults = loadServerConfig({}, cwd);
    expect(defaults).toMatchObject({ host: '127.0.0.1', port: 8080, dataDir: path.join(cwd, 'data'), bootstrapAdminEmail: 'admin@sophon.local' });
    expect(() => loadServerConfig({ SOPHON_PORT: 'eighty' }, cwd)).toThrow(/SOPHON_PORT/);
  });
});

describe('TimeSpan parsing', () => {
  it.each([
    ['08:00:00', 8 * HOUR],
    ['7.00:00:00', 7 * DAY],
    ['00:30:00', 30 * 60 * SECOND],
    ['1.02:03:04', DAY + 2 * HOUR + 3 * 60 * SECOND + 4 * SECOND],
    ['00:00:01.5', 1500],
    ['00:00:00.1234567', 123],
    ['8:00:00', 8 * HOUR],
    ['23:59:59', DAY - SECOND],
  ])('reads %s', (text, milliseconds) => {
    expect(parseTimeSpan(text)).toEqual({ ok: true, milliseconds });
  });

  it.each(['24:00:00', '08:60:00', '08:00:60', '8h', '08:00', ' 08:00:00', '08:00:00 ', '-01:00:00', '7:00:00:00', '1.2.03:00:00', '', '00:00:00.12345678', '１:00:00'])(
    'refuses %j, explaining the format',
    (text) => {
      const parsed = parseTimeSpan(text);
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) expect(parsed.reason).toMatch(/TimeSpan|hours|minutes/);
    },
  );
});

describe.each(engines)('settings applied by the running server on %s', (engine) => {
  let test: TestServer;
  beforeAll(async () => {
    test = await startTestServer(engine, { environment: { Sophon__Auth__IdleTimeout: '04:00:00' } });
  });
  afterAll(() => test.close());

  it('ends idle sessions after the IdleTimeout given in the environment', async () => {
    const early = await createSignedInUser(test, { role: 'Viewer' });
    test.clock.advance(3 * HOUR);
    expect((await early.client.get('/api/v1/me')).status).toBe(200);
    test.clock.advance(4 * HOUR + SECOND);
    expect((await early.client.get('/api/v1/me')).status).toBe(401);
  });
});

import { serve } from './serve.ts';

const [command] = process.argv.slice(2);
if (command === 'serve') {
  await serve();
} else {
  console.error('usage: sophon serve');
  process.exit(2);
}

import { startMotoServer } from '../support/moto-server';

// The tests that need moto must fail loudly, not skip, when the venv is missing.
test('fails telling to run `npx projen venv` when moto_server is missing', async () => {
  await expect(startMotoServer(1000, '/nonexistent/jobs/.venv/bin/moto_server'))
    .rejects.toThrow('moto_server not found at /nonexistent/jobs/.venv/bin/moto_server; run `npx projen venv` to create jobs/.venv with the test extras');
});

test('starts, resets and stops a real moto server on 127.0.0.1', async () => {
  const moto = await startMotoServer();
  try {
    expect(moto.endpoint).toBe(`http://127.0.0.1:${moto.port}`);
    await moto.reset();
  } finally {
    await moto.stop();
  }
  await expect(fetch(`${moto.endpoint}/moto-api/`)).rejects.toThrow();
});

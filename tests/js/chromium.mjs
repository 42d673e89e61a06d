// Headless Debian Chromium through playwright-core (never a downloaded browser), with the flags
// this machine needs: no sandbox as root, and no background traffic to hosts it cannot reach.
// Shared by the JS tests, the end-to-end test and the benchmarks.
import { chromium } from 'playwright-core';

export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
    ],
  });
}

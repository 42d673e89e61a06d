// Headless Debian Chromium through playwright-core (never a downloaded browser), with the flags
// this machine needs: no sandbox as root, and no background traffic to hosts it cannot reach.
// Shared by the JS tests, the end-to-end test and the benchmarks.
import { chromium } from 'playwright-core';

// Playwright turns the back/forward cache off; `{ backForwardCache: true }` leaves it on, as a
// user's browser has it.
export function launch({ backForwardCache = false } = {}) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    ...(backForwardCache ? { ignoreDefaultArgs: ['--disable-back-forward-cache'] } : {}),
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

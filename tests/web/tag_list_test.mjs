// Browser test of the tag list at thousands of tags in hundreds of groups
// (gen_scalars: 1 run x 3000 tags in 300 groups):
//  - groups far from the viewport are empty boxes: no head, no card slots;
//    scrolling to the end shows the last group's head;
//  - the tag filter box shows every key at once, and the cards and the tag
//    count follow once typing pauses;
//  - the x-axis tag menu holds its 3000 options once it is first used.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDir, check, launch, run, startServer, stopServer } from './lib.mjs';

const TAGS = 3000;
const GROUPS = 300;

await run(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tboard-tags-'));
  let server = null;
  let b = null;
  try {
    execFileSync(join(buildDir, 'gen_scalars'), [dir, '1', String(TAGS), '3', '0', String(GROUPS)], { stdio: 'ignore' });
    server = await startServer(dir);
    b = await launch({ viewport: { width: 1400, height: 900 } });
    const { page } = b;
    await page.goto(server.url + '#', { waitUntil: 'load' });
    await page.waitForFunction(
      (n) => document.querySelector('[data-testid=tag-count]')?.textContent === `${n} tags` && document.querySelector('.group .group-head'),
      TAGS,
      { timeout: 60000 },
    );
    await page.waitForSelector('.card[data-kind=scalar] canvas', { timeout: 60000 });

    // 1. Only groups near the viewport hold a head.
    const heads = await page.locator('section.group').count();
    const far = await page.locator('.group-slot.far').count();
    check(heads > 0 && heads < 20, 'only groups near the viewport are rendered', `${heads} of ${GROUPS}`);
    check(heads + far === GROUPS, 'every other group is an empty box', `${heads} + ${far}`);
    const last = await page.locator('.group-slot').last().getAttribute('data-group-slot');
    await page.locator('.group-slot').last().evaluate((el) => el.scrollIntoView({ block: 'end' }));
    const lastHead = await page
      .waitForSelector(`section.group[data-group="${last}"] .group-head`, { timeout: 30000 })
      .then(() => true, () => false);
    check(lastHead, 'scrolling to the end shows the last group', String(last));

    // 2. The filter box shows each key; the list follows once typing pauses.
    const filter = page.locator('[data-testid=tag-filter]');
    await filter.pressSequentially('scalar_29', { delay: 20 });
    check((await filter.inputValue()) === 'scalar_29', 'the filter box shows every key typed', await filter.inputValue());
    const names = Array.from({ length: TAGS }, (_, t) => `g${t % GROUPS}/scalar_${String(t).padStart(2, '0')}`);
    const want = `${names.filter((n) => /scalar_29/i.test(n)).length} of ${TAGS} tags`;
    const followed = await page
      .waitForFunction((w) => document.querySelector('[data-testid=tag-count]')?.textContent === w, want, { timeout: 30000 })
      .then(() => true, () => false);
    check(followed, 'the tag count follows the filter', want);
    // The groups left are many, so the grid is still virtual: the ones near
    // the viewport fill in once the intersection observer has answered.
    await page.waitForSelector('.card[data-kind=scalar]', { timeout: 30000 }).catch(() => null);
    const shown = await page.$$eval('.card[data-kind=scalar]', (els) => els.map((e) => e.getAttribute('data-tag')));
    check(shown.length > 0 && shown.every((t) => /scalar_29/.test(t)), 'the cards follow the filter', shown.slice(0, 5).join(' '));
    await filter.fill('');

    // 3. The x-axis tag menu: its options once used.
    const before = await page.locator('[data-testid=x-tag] option').count();
    await page.locator('[data-testid=x-tag]').focus();
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid=x-tag] option').length === n + 1, TAGS, { timeout: 30000 });
    check(before === 1, 'the tag menu holds no options before it is used', String(before));
    await page.selectOption('[data-testid=x-tag]', 'g1/scalar_01');
    const drawn = await page
      .waitForSelector('.card[data-kind=scalar] canvas', { timeout: 30000 })
      .then(() => true, () => false);
    check(drawn, 'a tag chosen from the menu draws the cards against it');
    check(b.consoleErrors.length === 0, 'no console errors', b.consoleErrors.join(' | '));
  } finally {
    if (b) await b.close();
    await stopServer(server);
    rmSync(dir, { recursive: true, force: true });
  }
});

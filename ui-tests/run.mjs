// Browser tests of the intake web UI: headless Chromium driven by playwright-core, every
// page checked with axe-core (serious or critical violations fail), screenshots of every
// page at a laptop (1366x768) and a tablet (820x1180) width.
//
// node ui-tests/run.mjs BASE_URL WORKSPACE ADMIN_PASSWORD
// $INTAKE_UI_USERS: {"viewer": [name, password], "importer": [...], "manager": [...]}, users
// of the workspace with those roles. Screenshots go to $INTAKE_UI_SCREENSHOTS (default: a new
// temporary folder).
//
// With $INTAKE_UI_PROGRESS_HOLD set (the file a server started with
// INTAKE_TEST_HOLD_AFTER_BATCH writes when its worker holds a run after a batch), it checks
// the progress page instead: an import of 10,000 rows held mid-run, its bar, rows a second and
// time left kept fresh by the page's script, and cancel.
import { chromium } from 'playwright-core';
import { existsSync, mkdtempSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [base, ws, adminPassword] = process.argv.slice(2);
const users = JSON.parse(process.env.INTAKE_UI_USERS || '{}');
const hold = process.env.INTAKE_UI_PROGRESS_HOLD;
if (!adminPassword || (!hold && (!users.viewer || !users.importer || !users.manager))) {
  console.error('usage: INTAKE_UI_USERS=\'{"viewer":[n,p],"importer":[n,p],"manager":[n,p]}\' node run.mjs BASE_URL WORKSPACE ADMIN_PASSWORD');
  process.exit(2);
}
const shots = process.env.INTAKE_UI_SCREENSHOTS || mkdtempSync(join(tmpdir(), 'intake-ui-'));
mkdirSync(shots, { recursive: true });
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

const failures = [];
function check(ok, what) {
  if (!ok) failures.push(what);
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
}

// A file name that is markup, kept as text by the pages (the API drops slashes from names).
const fileName = '<img src=x onerror=alert(1)>accounts & co.csv';

// An import to show: uploaded and validated through the API, with a file name and a cell
// that would break the page if they were not escaped.
async function api() {
  const login = await fetch(`${base}/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: adminPassword }),
  });
  if (!login.ok) throw new Error(`API login: ${login.status}`);
  const cookie = login.headers.get('set-cookie').split(';')[0];
  const { csrf_token } = await login.json();
  const call = async (method, path, body, type) => {
    const r = await fetch(`${base}/api/v1/workspaces/${ws}${path}`, {
      method,
      headers: { cookie, 'x-csrf-token': csrf_token, ...(type ? { 'content-type': type } : {}) },
      body,
    });
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
    return r.json();
  };
  return call;
}

async function seed() {
  const call = await api();
  // Imports wait for a manager's approval, and not their uploader's.
  await call('PUT', '/settings', JSON.stringify({ require_approval: true, four_eyes: true }), 'application/json');
  const csv = 'Account Name,Customer Tier,Website\nAcme,Gold,https://acme.example\n<b>Bold</b> Ltd,Platinum,not a site\n';
  const upload = await call('POST', `/uploads?name=${encodeURIComponent(fileName)}`, csv, 'text/csv');
  const imp = await call('POST', '/imports', JSON.stringify({ upload_id: upload.id, record_type: 'account' }), 'application/json');
  await call('POST', `/imports/${imp.id}/validate`, undefined);
  return imp.id;
}

const sizes = [
  { name: 'laptop', width: 1366, height: 768 },
  { name: 'tablet', width: 820, height: 1180 },
];

// Checks the page with axe-core and saves a screenshot at both sizes.
async function visit(page, name) {
  await page.addScriptTag({ content: axeSource });
  const result = await page.evaluate(async () => await window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  for (const v of bad) {
    console.log(`  axe ${v.impact}: ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')})`);
  }
  check(bad.length === 0, `${name}: no serious or critical accessibility violations`);
  for (const s of sizes) {
    await page.setViewportSize({ width: s.width, height: s.height });
    await page.screenshot({ path: join(shots, `${name}-${s.name}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: sizes[0].width, height: sizes[0].height });
}

async function logIn(page, user, password) {
  await page.goto(`${base}/login`);
  await page.getByLabel('User name').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForLoadState();
}

// The progress page of a run held mid-way: the bar, the pace, the script keeping it fresh.
async function progress(page) {
  const call = await api();
  const rows = ['Account Name,Website'];
  for (let i = 0; i < 10000; i++) rows.push(`Company ${i},https://c${i}.example`);
  const upload = await call('POST', '/uploads?name=big%20accounts.csv', rows.join('\n') + '\n', 'text/csv');
  const imp = await call('POST', '/imports', JSON.stringify({ upload_id: upload.id, record_type: 'account' }), 'application/json');
  // Validated first, as the page does on upload: the run then knows its rows.
  await call('POST', `/imports/${imp.id}/validate`, undefined);
  await call('POST', `/imports/${imp.id}/submit`, undefined);
  for (let i = 0; i < 600 && !existsSync(hold); i++) await new Promise((r) => setTimeout(r, 100));
  check(existsSync(hold), 'the run holds after a batch');
  await logIn(page, 'admin', adminPassword);
  await page.goto(`${base}/w/${ws}/imports/${imp.id}`);
  const block = page.locator('#progress');
  await block.getByText(/rows a second/).waitFor({ timeout: 10000 }).catch(async () => console.log('progress block: ' + await page.locator('main').textContent()));
  check(await page.getByRole('progressbar').isVisible(), 'a progress bar');
  const first = await block.textContent();
  check(/ of 10,000 rows · [\d,]+ rows a second · about .* left/.test(first), `rows done, rows a second and time left: ${first}`);
  await visit(page, 'import-progress');
  // The script fetches the block again every second: the pace changes as time passes.
  let now = first;
  for (let i = 0; i < 50 && now === first; i++) {
    await page.waitForTimeout(100);
    now = await block.textContent();
  }
  check(now !== first, `the block is kept fresh without reloading: ${now}`);
  await page.getByRole('button', { name: 'Cancel the import' }).click();
  await page.waitForLoadState();
  check(await page.getByRole('status').filter({ hasText: 'Asked to stop' }).isVisible(), 'cancel asks the run to stop');
}

const started = Date.now();
const importId = hold ? null : await seed();
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--no-first-run'],
});
try {
  // axe-core is injected as a script, which the pages' policy (no scripts) would refuse.
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, bypassCSP: true });
  const page = await context.newPage();
  if (hold) {
    await progress(page);
  } else {

  // Not logged in: any page leads to the login form, which comes back to it.
  await page.goto(`${base}/w/${ws}/imports`);
  check(new URL(page.url()).pathname === '/login', 'a page without a session redirects to /login');
  await visit(page, 'login');

  await page.getByLabel('User name').fill('admin');
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForLoadState();
  check(await page.getByRole('alert').filter({ hasText: 'Wrong user name or password' }).isVisible(),
    'a wrong password shows an error');
  await visit(page, 'login-error');

  await page.getByLabel('Password').fill(adminPassword);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForLoadState();
  check(new URL(page.url()).pathname === `/w/${ws}/imports`, 'logging in returns to the page asked for');

  await page.goto(`${base}/`);
  check(new URL(page.url()).pathname === `/w/${ws}`, 'the start page opens the first workspace');
  check(await page.getByRole('heading', { level: 1, name: 'Record types' }).isVisible(), 'the record types page');
  check(await page.getByRole('combobox', { name: 'Workspace' }).inputValue() === ws, 'the switcher shows the workspace');
  check((await page.getByRole('combobox', { name: 'Workspace' }).textContent()).includes('(admin)'), 'the switcher shows the role');
  await visit(page, 'types');

  // Keyboard: the first Tab reaches the skip link.
  await page.keyboard.press('Tab');
  check(await page.evaluate(() => document.activeElement.textContent) === 'Skip to content',
    'the first Tab stop is the skip link');

  await page.getByRole('link', { name: 'Account', exact: true }).click();
  await page.waitForLoadState();
  check(await page.getByRole('heading', { level: 1 }).textContent() === 'Account', 'the field description page');
  check(await page.getByRole('rowheader', { name: /Account Name/ }).isVisible(), 'it lists the columns');
  const csv = await page.getByRole('link', { name: 'Download CSV template' }).getAttribute('href');
  const template = await context.request.get(`${base}${csv}`);
  check(template.ok() && (await template.text()).includes('Account Name'), 'the CSV template downloads with the session');
  await visit(page, 'type-account');

  await page.getByRole('link', { name: 'Imports', exact: true }).click();
  await page.waitForLoadState();
  const fileLink = page.getByRole('link', { name: fileName });
  check(await page.getByRole('rowheader', { name: /Account/ }).isVisible(), 'the imports list names the record type');
  check(await fileLink.isVisible(), 'the imports list shows the file name as written (escaped)');
  check(await page.locator('main img').count() === 0, 'no markup from user data reaches the page');
  await visit(page, 'imports');

  await fileLink.click();
  await page.waitForLoadState();
  check(new URL(page.url()).pathname === `/w/${ws}/imports/${importId}`, 'the import page');
  check(await page.getByRole('heading', { name: 'Validation' }).isVisible(), 'it shows the validation summary');
  check(await page.getByRole('heading', { name: 'Audit trail' }).isVisible(), 'it shows the audit trail');
  check(await page.locator('main b').count() === 0, 'cell values stay text');
  await visit(page, 'import');

  await page.getByRole('button', { name: 'Log out' }).click();
  await page.waitForLoadState();
  check(await page.getByRole('status').filter({ hasText: 'logged out' }).isVisible(), 'logging out says so');
  await page.goto(`${base}/w/${ws}`);
  check(new URL(page.url()).pathname === '/login', 'after logging out pages need a login again');

  // The import journey. The importer uploads a file with problems and sees them at once.
  const [importer, importerPassword] = users.importer;
  const [manager, managerPassword] = users.manager;
  await logIn(page, importer, importerPassword);
  await page.goto(`${base}/w/${ws}/imports`);
  await page.getByRole('link', { name: 'New import' }).click();
  await page.waitForLoadState();
  await visit(page, 'import-new');
  await page.getByLabel('Record type').selectOption('account');
  await page.getByLabel('File').setInputFiles({
    name: 'new accounts.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from('Account Name,Customer Tier,Web\nInitech,Gold,https://initech.example\nUmbrella,Unobtainium,https://umbrella.example\nHooli,Gold,not a site\n'),
  });
  await page.getByRole('button', { name: 'Upload and match columns' }).click();
  await page.waitForLoadState();
  const journeyPath = new URL(page.url()).pathname;
  check(await page.getByRole('heading', { name: 'Columns and fields' }).isVisible(), 'the new import shows its mapping form');
  check(await page.getByRole('heading', { name: 'The file' }).isVisible(), 'it says what was detected about the file');
  check(await page.getByText('Text (CSV)').isVisible() && await page.getByText('comma').first().isVisible(),
    'the format and the delimiter');
  check(await page.getByRole('region', { name: 'Problems', exact: true }).getByText('Unobtainium').first().isVisible(),
    'the upload is validated at once: the unknown value is in the problems table');
  await visit(page, 'import-mapping');

  // The column the auto-mapping left out is mapped by hand.
  await page.getByRole('combobox', { name: 'Web' }).selectOption('website');
  await page.getByRole('button', { name: 'Save the mapping' }).click();
  await page.waitForLoadState();
  check(await page.getByRole('status').filter({ hasText: 'The mapping is saved' }).isVisible(), 'saving the mapping says so');
  check(await page.getByRole('combobox', { name: 'Web' }).inputValue() === 'website', 'the mapping form keeps the column');
  await page.getByRole('button', { name: /^Validate/ }).click();
  await page.waitForLoadState();
  const problems = page.getByRole('region', { name: 'Problems', exact: true });
  check(await problems.getByText('Unobtainium').first().isVisible(), 'the problems table shows the unknown value');
  check(await problems.getByText('not a site').first().isVisible(), 'and the bad website, with its row');
  await visit(page, 'import-problems');

  // The unknown value becomes a new option; validating again leaves the one bad website.
  await page.getByRole('group', { name: /Customer Tier/ }).getByRole('combobox').selectOption({ label: 'Create it as a new option' });
  await page.getByRole('button', { name: 'Save these values' }).click();
  await page.waitForLoadState();
  await page.getByRole('button', { name: /^Validate/ }).click();
  await page.waitForLoadState();
  check(await page.getByText(/Checked .*: 1 problem\./).isVisible(), 'mapping the value leaves one problem');
  check(!(await problems.getByText('Unobtainium').count()), 'the unknown value is gone from the problems');
  check(await page.getByText('All or nothing: with these problems').isVisible(), 'submitting now is said to fail');

  // A partial import: the bad row is left out and comes back in the response file.
  await page.getByText('Change the options').click();
  await visit(page, 'import-options');
  await page.getByLabel('Partial').check();
  await page.getByRole('button', { name: 'Save the options' }).click();
  await page.waitForLoadState();
  check(await page.getByRole('status').filter({ hasText: 'The options are saved' }).isVisible(), 'saving the options says so');
  check(await page.getByText(/partial: rows with problems are left out/).isVisible(), 'the options summary says partial');
  await page.getByRole('button', { name: /^Validate/ }).click();
  await page.waitForLoadState();
  check(await page.getByText(/Partial import: the rows without problems are written/).isVisible(), 'the submit step says what will happen');
  await visit(page, 'import-valid');
  await page.getByRole('button', { name: 'Submit the import' }).click();
  await page.waitForLoadState();
  check(await page.getByText('Waiting for approval').first().isVisible(), 'the import waits for approval');
  check(await page.getByRole('button', { name: 'Approve and run' }).count() === 0, 'its uploader cannot approve it');
  check(await page.getByRole('button', { name: /^Validate/ }).count() === 0, 'a submitted import has no mapping forms');
  await visit(page, 'import-waiting');
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.waitForLoadState();

  // The manager approves it, and the page follows the run to its end.
  await logIn(page, manager, managerPassword);
  await page.goto(`${base}/w/${ws}/imports`);
  await page.getByRole('link', { name: "1 import waits for a manager's approval" }).click();
  await page.waitForLoadState();
  check(await page.getByLabel('Status').inputValue() === 'waiting_for_approval', 'the list shows what waits for approval');
  await visit(page, 'imports-waiting');
  await page.getByRole('link', { name: 'new accounts.csv' }).click();
  await page.waitForLoadState();
  check(new URL(page.url()).pathname === journeyPath, 'and leads to the import');
  check(await page.getByRole('heading', { name: 'Approval', exact: true }).isVisible(), 'the manager sees the approval step');
  await visit(page, 'import-approval');
  await page.getByRole('button', { name: 'Approve and run' }).click();
  await page.waitForLoadState();
  await page.getByRole('heading', { name: 'What the import did' }).waitFor({ timeout: 30000 });
  check(await page.locator('h1 .badge').textContent() === 'Completed', 'the import completes');
  const counts = page.locator('#counts-h + dl');
  check((await counts.textContent()).includes('Created2'), 'two records created');
  await visit(page, 'import-completed');
  for (const [label, expect] of [['Response file', 'not a site'], ['Success file', 'Initech']]) {
    const href = await page.getByRole('link', { name: new RegExp(label) }).getAttribute('href');
    const file = await context.request.get(`${base}${href}`);
    check(file.ok() && (await file.text()).includes(expect), `the ${label.toLowerCase()} downloads and holds its rows`);
  }
  // The records it wrote, in the records browser: search, a record, an update sheet.
  await page.getByRole('link', { name: 'Records', exact: true }).click();
  await page.waitForLoadState();
  await visit(page, 'records');
  await page.getByRole('main').getByRole('link', { name: 'Account', exact: true }).click();
  await page.waitForLoadState();
  check(await page.getByRole('link', { name: 'Initech' }).isVisible(), 'the records browser lists the new records');
  await visit(page, 'records-account');
  await page.getByLabel('Search', { exact: true }).fill('umbrella');
  await page.getByRole('button', { name: 'Show' }).click();
  await page.waitForLoadState();
  check(await page.getByRole('link', { name: 'Umbrella' }).isVisible() && await page.getByRole('link', { name: 'Initech' }).count() === 0,
    'a search narrows the records');
  await page.getByLabel('Advanced filter').fill('shoe_size = 3');
  await page.getByRole('button', { name: 'Show' }).click();
  await page.waitForLoadState();
  check(await page.getByRole('alert').isVisible(), 'a filter that cannot be read says why');
  await visit(page, 'records-bad-filter');
  await page.getByRole('link', { name: 'Clear' }).click();
  await page.waitForLoadState();
  const sheet = await page.getByRole('link', { name: 'Update sheet as CSV' }).getAttribute('href');
  const sheetFile = await context.request.get(`${base}${sheet}`);
  check(sheetFile.ok() && (await sheetFile.text()).includes('Initech'), 'the update sheet downloads');
  await page.getByRole('link', { name: 'Initech' }).click();
  await page.waitForLoadState();
  check(await page.getByText('https://initech.example').isVisible(), 'a record shows its values');
  await visit(page, 'record');
  await page.goto(`${base}${journeyPath}`);
  await page.getByRole('link', { name: 'Revert this import' }).click();
  await page.waitForLoadState();
  check(await page.getByRole('heading', { level: 1, name: /^Revert/ }).isVisible(), 'reverting asks first');
  await visit(page, 'import-revert');
  await page.getByRole('button', { name: 'Revert the import' }).click();
  await page.waitForLoadState();
  check(await page.getByRole('status').filter({ hasText: 'Reverted' }).isVisible(), 'reverting says so');
  check(await page.locator('h1 .badge').textContent() === 'Reverted', 'the import is reverted');
  await visit(page, 'import-reverted');
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.waitForLoadState();

  // A viewer sees the workspace with their role and the imports without any control, and a
  // workspace that is not theirs not at all.
  const [viewerName, viewerPassword] = users.viewer;
  await logIn(page, viewerName, viewerPassword);
  check((await page.getByRole('combobox', { name: 'Workspace' }).textContent()).includes('(viewer)'), 'a viewer sees their role');
  await page.goto(`${base}${journeyPath}`);
  check(await page.locator('main form[method="post"]').count() === 0, 'a viewer sees no controls on an import');
  check(await page.getByRole('link', { name: 'Revert this import' }).count() === 0, 'nor the revert link');
  const other = await page.goto(`${base}/w/elsewhere`);
  check(other.status() === 404, 'a workspace the user is no member of is not found');
  await visit(page, 'not-found');
  await page.goto(`${base}/`);
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.waitForLoadState();

  // A user of no workspace is told so, and does not see this one.
  if (users.outsider) {
    const [outsider, outsiderPassword] = users.outsider;
    await logIn(page, outsider, outsiderPassword);
    check(await page.getByRole('heading', { name: 'No workspace yet' }).isVisible(), 'a user of no workspace is told so');
    await visit(page, 'no-workspace');
    const theirs = await page.goto(`${base}${journeyPath}`);
    check(theirs.status() === 404, 'an import of a workspace the user is no member of is not found');
  }
  }
  await context.close();
} finally {
  await browser.close();
}

console.log(`screenshots in ${shots}`);
console.log(`${failures.length === 0 ? 'passed' : `${failures.length} failed`} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exit(failures.length === 0 ? 0 : 1);

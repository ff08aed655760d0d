// Documents written by Onsite are standard Automerge: the JavaScript
// implementation loads an exported document, a change made there imports
// back and updates the tables, and a document in another layout is refused.
// Usage: node automerge-interop.cjs <node_modules dir> <work dir> <onsite binary>
const assert = require("assert");
const fs = require("fs");
const path = require("path");
const { execFileSync, spawnSync } = require("child_process");

const [, , modules, work, onsite] = process.argv;
const A = require(require.resolve("@automerge/automerge", { paths: [modules] }));
const db = path.join(work, "demo", "hub.sqlite");
// The demo's stores are encrypted at rest; it keeps their keys in keys/.
const env = { ...process.env, ONSITE_KEY_FILE: path.join(work, "demo", "keys", "hub.key") };
const run = (...args) => execFileSync(onsite, args, { encoding: "utf8", env });
// Onsite writes strings as plain scalars, which JavaScript Automerge shows
// as ImmutableString; text objects come back as strings.
const str = (v) => (v && typeof v === "object" && "val" in v ? v.val : v);
let passed = 0;
let failed = 0;
function check(name, fn) {
    try {
        fn();
        passed++;
        console.log(`ok   ${name}`);
    } catch (e) {
        failed++;
        console.log(`FAIL ${name}: ${e.message}`);
    }
}

const docs = JSON.parse(run("doc", "list", "--db", db, "--json"));
// A contact's document (ADR 24): the person's fields, their account's id.
const id = docs.find((d) => d.doc_id.startsWith("person/")).doc_id;
const contactId = id.split("/")[1];
const exported = path.join(work, "exported.automerge");
run("doc", "export", "--db", db, id, "--out", exported);
let doc;

check("JavaScript Automerge loads a document Onsite exported", () => {
    doc = A.load(new Uint8Array(fs.readFileSync(exported)));
    assert.strictEqual(str(doc.kind), "person");
    assert.strictEqual(str(doc.id), id);
    assert.strictEqual(str(doc.person.id), contactId);
    const shown = JSON.parse(run("account", "show", "--db", db, str(doc.person.account_id)));
    const contact = shown.contacts.find((c) => c.id === contactId);
    assert.ok(contact, "the contact is the account's");
    assert.strictEqual(str(doc.person.last_name), contact.last_name);
    assert.strictEqual(str(doc.person.email), contact.email);
});

check("a change made in JavaScript imports back and updates the tables", () => {
    const accountId = str(doc.person.account_id);
    const changed = A.change(A.clone(doc), (d) => {
        d.person.phone = "+49 30 424242";
    });
    const file = path.join(work, "changed.automerge");
    fs.writeFileSync(file, A.save(changed));
    const out = run("doc", "import", "--db", db, file);
    assert.ok(out.includes(`as ${id}`), out);
    const shown = JSON.parse(run("account", "show", "--db", db, accountId));
    const contact = shown.contacts.find((c) => c.id === contactId);
    assert.strictEqual(contact.phone, "+49 30 424242");
});

check("a document in another layout is refused and changes nothing", () => {
    const other = A.change(A.init(), (d) => {
        d.id = "invoice/1";
        d.kind = "invoice";
    });
    const file = path.join(work, "other.automerge");
    fs.writeFileSync(file, A.save(other));
    const before = run("doc", "list", "--db", db, "--json");
    const r = spawnSync(onsite, ["doc", "import", "--db", db, file], { encoding: "utf8", env });
    assert.strictEqual(r.status, 3, r.stderr);
    assert.ok(r.stderr.includes("document"), r.stderr);
    assert.strictEqual(run("doc", "list", "--db", db, "--json"), before);
});

console.log(`interop: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);

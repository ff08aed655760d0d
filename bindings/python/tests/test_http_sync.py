"""The SDK's sync in one call, in Python, against a real `onsite serve`
process over HTTP: tokens from the admin API, two devices that see each
other's edits, a revoked token's typed error, a hub restarted in the middle
of a sync (resumed, nothing lost, nothing doubled), an attachment added
offline that reaches a second device."""

import datetime
import os
import tempfile
import unittest

import onsite
from hub_process import HubProcess


def pdf(length, seed):
    """A PDF-typed file of `length` bytes whose content depends on `seed`."""
    head = b"%PDF-1.7\n"
    return head + bytes((i * 31 + seed) & 0xFF for i in range(length - len(head)))


def products(n):
    rows = ["sku;name;unit;list_price;tax_class"]
    rows += [f"P-{i:05d};Sechskantschraube DIN 933 M{6 + i % 10}×{20 + i % 60};pc;0,{10 + i % 80:02d};DE-STD"
             for i in range(n)]
    return ("\n".join(rows) + "\n").encode()


class Recorder(onsite.SyncObserver):
    def __init__(self):
        self.rounds = []
        self.tokens = []

    def progress(self, progress):
        self.rounds.append(progress)

    def token_rotated(self, token, expires_at):
        self.tokens.append(token)


class HttpSync(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        cls.hub = HubProcess(cls.dir.name)
        # 12,000 products: a new device needs three catalog pages.
        cls.hub.admin("POST", "/v1/admin/catalog?format=csv", products(12_000), "text/csv")
        # The back office's own device creates the account and syncs it up.
        cls.office = cls.device("office", "backoffice", "admin")
        cls.account = onsite.Account(
            id=onsite.new_id(), name="Müller Maschinenbau", legal_form="GmbH", employees=62, industry=None,
            billing_address=onsite.Address(street="Hauptstraße 1", postal_code="80331", city="München",
                                           country="DE"),
            shipping_address=None, vat_id=None, customer_group=None, assigned_rep="rep-1")
        cls.contact = onsite.Contact(
            id=onsite.new_id(), account_id=cls.account.id, first_name="Petra", last_name="Einkauf",
            role=onsite.BuyingRole.DECISION_MAKER, title=None, email=None, phone="+49 89 1000", consent=None)
        cls.office.store.save_account(cls.account, [cls.contact])
        cls.office.sync()
        cls.hub.admin("POST", "/v1/admin/reps/rep-1/accounts", {"add": [cls.account.id]})

    @classmethod
    def tearDownClass(cls):
        cls.hub.close()
        cls.dir.cleanup()

    class Device:
        def __init__(self, hub, name, device_id, token):
            path = os.path.join(HttpSync.dir.name, name + ".sqlite")
            self.id, self.token, self.hub = device_id, token, hub
            self.store = onsite.OnsiteStore.open_device(path, onsite.generate_store_key(), device_id)

        def sync(self, transport=None, observer=None):
            settings = onsite.sync_settings(self.hub.url, self.token)
            settings.initial_backoff_ms = 100
            summary = self.store.sync_with_hub(settings, transport or onsite.UrllibTransport(), observer, None)
            self.token = summary.token
            return summary

    @classmethod
    def device(cls, name, person, role):
        device_id, token = cls.hub.issue(person, role)
        return cls.Device(cls.hub, name, device_id, token)

    def test_two_devices_see_each_others_edits_over_http(self):
        anna = self.device("anna", "rep-1", "rep")
        ben = self.device("ben", "rep-1", "rep")
        seen = Recorder()
        first = anna.sync(observer=seen)
        self.assertEqual(anna.store.product_count(), 12_000)
        self.assertGreaterEqual(first.progress.round_trips, 3, "three catalog pages")
        self.assertEqual(len(seen.rounds), first.progress.round_trips)
        self.assertFalse(seen.rounds[-1].more)
        self.assertEqual(anna.store.contacts(self.account.id), [self.contact])
        ben.sync()

        contact = anna.store.contacts(self.account.id)[0]
        contact.phone = "+49 89 2222"
        anna.store.save_contact(contact)
        self.assertEqual(anna.store.sync_health().pending_documents, 1)
        up = anna.sync()
        self.assertGreaterEqual(up.progress.documents_sent, 1)
        ben.sync()
        self.assertEqual(ben.store.contacts(self.account.id)[0].phone, "+49 89 2222")
        health = anna.store.sync_health()
        self.assertEqual(health.pending_documents, 0)
        self.assertIsNotNone(health.last_success_at)
        self.assertIsNone(health.last_error)
        self.assertEqual(health.catalog_seq, self.office.store.catalog_seq())
        self.assertGreater(health.storage_bytes, 0)

    def test_a_revoked_token_is_a_typed_error(self):
        carl = self.device("carl", "rep-1", "rep")
        carl.sync()
        self.hub.admin("POST", f"/v1/admin/devices/{carl.id}/revoke", {})
        carl.store.log_activity(onsite.Activity(
            id=onsite.new_id(), account_id=self.account.id, contact_id=None, kind=onsite.ActivityKind.VISIT,
            at="2026-12-01T10:00:00Z", by="rep-1", subject="Regal geprüft", notes=""))
        with self.assertRaises(onsite.SyncFailure.Unauthorized) as caught:
            carl.sync()
        self.assertEqual(caught.exception.problem, onsite.AuthProblem.REVOKED)
        health = carl.store.sync_health()
        self.assertIn("not authorized", health.last_error)
        self.assertEqual(health.failures_in_a_row, 1)
        self.assertEqual(health.pending_documents, 1, "the visit waits, kept")

    def test_offline_is_a_typed_error_after_the_retries(self):
        dora = self.device("dora", "rep-1", "rep")
        settings = onsite.sync_settings("http://127.0.0.1:9", dora.token)  # discard port: nobody listens
        settings.initial_backoff_ms, settings.max_attempts = 10, 3
        with self.assertRaises(onsite.SyncFailure.Offline) as caught:
            dora.store.sync_with_hub(settings, onsite.UrllibTransport(timeout=5), None, None)
        self.assertEqual(caught.exception.attempts, 3)

    def test_a_hub_restart_in_the_middle_of_a_sync_loses_and_doubles_nothing(self):
        eve = self.device("eve", "rep-1", "rep")
        hub = self.hub

        class Restarting(onsite.UrllibTransport):
            """Restarts the hub at call `at`: before the request reaches it
            (`after_delivery` false) or after the hub applied it, the answer
            then lost."""

            def __init__(self, at, after_delivery):
                super().__init__()
                self.calls, self.at, self.after = 0, at, after_delivery
                self.restart = None

            def post(self, request):
                self.calls += 1
                if self.calls == self.at and not self.after:
                    self.restart = hub.restart_later(0.3)
                answer = super().post(request)
                if self.calls == self.at and self.after:
                    self.restart = hub.restart_later(0.3)
                    raise onsite.TransportError.Offline(detail="connection reset by the restart")
                return answer

        # Down between two catalog pages: the driver backs off and resumes.
        first = Restarting(2, after_delivery=False)
        done = eve.sync(transport=first)
        first.restart.join()
        self.assertGreaterEqual(done.retries, 1, "the restart was met and retried")
        self.assertEqual(eve.store.product_count(), 12_000, "every catalog page arrived")

        # Down after the hub stored five visits, before the answer arrived.
        visits = []
        for i in range(5):
            visits.append(onsite.Activity(
                id=onsite.new_id(), account_id=self.account.id, contact_id=None, kind=onsite.ActivityKind.VISIT,
                at=f"2026-11-0{i + 1}T09:00:00Z", by="rep-1", subject=f"Besuch {i}", notes=""))
            eve.store.log_activity(visits[-1])
        second = Restarting(1, after_delivery=True)
        done = eve.sync(transport=second)
        second.restart.join()
        self.assertGreaterEqual(done.retries, 1)
        self.assertEqual(eve.store.sync_health().pending_documents, 0)
        # Another device sees each visit exactly once.
        fred = self.device("fred", "rep-1", "rep")
        fred.sync()
        got = [a for a in fred.store.activities_for_account(self.account.id, 100) if a.subject.startswith("Besuch")]
        self.assertEqual(sorted(a.id for a in got), sorted(v.id for v in visits))


    def test_an_attachment_added_offline_reaches_a_second_device(self):
        iris = self.device("iris", "rep-1", "rep")
        iris.sync()
        today = datetime.date.today()
        quote = iris.store.create_quote(self.account.id, None, "rep-1", onsite.DisplayLocale.DE,
                                        (today + datetime.timedelta(days=30)).isoformat())
        quote = iris.store.add_quote_line(quote.id, "P-00001", "2", "0", today.isoformat())
        parent = onsite.AttachmentParent.QUOTE(quote_id=quote.id)
        drawing = pdf(1_200_000, 7)
        with self.assertRaises(onsite.OnsiteError.Validation):
            iris.store.add_attachment(parent, "../x.pdf", drawing, False, "rep-1")
        added = iris.store.add_attachment(parent, "Zeichnung Regal B.pdf", drawing, False, "rep-1")
        self.assertEqual(added.file.media_type, "application/pdf")
        self.assertEqual(added.file.size, len(drawing))
        self.assertEqual(iris.store.file_budget().pending_uploads, 1, "the refused name left nothing behind")

        up = iris.sync()
        self.assertEqual(up.files.uploaded, 1, up.files)
        self.assertEqual(up.files.refused, 0, up.files)
        self.assertGreaterEqual(up.files.bytes_up, len(drawing))
        self.assertEqual(iris.store.file_budget().pending_uploads, 0)

        # A second tablet of the same rep: the open quote's file is prefetched.
        jan = self.device("jan", "rep-1", "rep")
        down = jan.sync()
        self.assertGreaterEqual(down.files.downloaded, 1, down.files)
        got = jan.store.attachments(onsite.AttachmentParent.QUOTE(quote_id=quote.id))
        self.assertEqual(len(got), 1)
        self.assertEqual(got[0].id, added.id)
        self.assertEqual(got[0].file.hash, added.file.hash)
        self.assertEqual(got[0].file.media_type, "application/pdf")
        self.assertTrue(jan.store.has_file(added.file.hash), "prefetched for the open quote")
        self.assertEqual(jan.store.file_bytes(added.file.hash), drawing)


if __name__ == "__main__":
    unittest.main()

"""Sync through the bindings, in Python: two devices and an in-process hub
pass frames as bytes; concurrent edits converge and report both values;
hostile frames get typed errors."""

import os
import tempfile
import unittest

import onsite

CATALOG = """sku;name;unit;list_price;tax_class;c_part;category
SKS-M8;Sechskantschraube M8×40;pc;0,12;DE-STD;ja;Schrauben
BUCH;Handbuch Befestigungstechnik;pc;49,90;DE-RED;nein;Literatur
""".encode("utf-8")


def sync(device, hub, scope, limit=10):
    for trips in range(1, limit + 1):
        response = hub.hub_handle(scope, device.sync_request())
        if device.sync_apply(response).done:
            return trips
    raise AssertionError("sync did not settle")


class SyncScenario(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        path = lambda name: os.path.join(self.dir.name, name + ".sqlite")
        self.hub = onsite.OnsiteStore.open(path("hub"), onsite.generate_store_key())
        self.anna = onsite.OnsiteStore.open(path("anna"), onsite.generate_store_key())
        self.ben = onsite.OnsiteStore.open(path("ben"), onsite.generate_store_key())
        self.hub.import_catalog(CATALOG, onsite.CatalogFormat.CSV)
        self.account = onsite.Account(
            id=onsite.new_id(), name="Müller Maschinenbau", legal_form="GmbH", employees=62, industry=None,
            billing_address=onsite.Address(street="Hauptstraße 1", postal_code="80331", city="München", country="DE"),
            shipping_address=None, vat_id=None, customer_group="A", assigned_rep="rep-1")
        self.contact = onsite.Contact(
            id=onsite.new_id(), account_id=self.account.id, first_name="Petra", last_name="Einkauf",
            role=onsite.BuyingRole.DECISION_MAKER, title=None, email=None, phone="+49 89 1000", consent=None)
        self.hub.save_account(self.account, [self.contact])

    def tearDown(self):
        del self.anna, self.ben, self.hub
        self.dir.cleanup()

    def scope(self, store):
        return onsite.SyncScope(device_id=store.device_id(), accounts=[self.account.id], include_costs=True,
                                role=onsite.DeviceRole.REP, person="rep-1")

    def test_two_devices_converge_and_see_the_concurrent_phone_numbers(self):
        for device in (self.anna, self.ben):
            self.assertLessEqual(sync(device, self.hub, self.scope(device)), 2)
            self.assertEqual(device.catalog_seq(), self.hub.catalog_seq())
            self.assertEqual(device.contacts(self.account.id), [self.contact])

        # Offline on both: the same phone field, and a quote on Anna's tablet.
        a = self.contact
        a.phone = "+49 89 1111"
        self.anna.save_contact(a)
        b = self.ben.contacts(self.account.id)[0]
        b.phone = "+49 89 2222"
        self.ben.save_contact(b)
        q = self.anna.create_quote(self.account.id, None, "rep-1", onsite.DisplayLocale.DE, "2026-12-31")
        q = self.anna.add_quote_line(q.id, "SKS-M8", "500", "0", "2026-11-27")

        for device in (self.anna, self.ben, self.anna):
            sync(device, self.hub, self.scope(device))

        self.assertEqual(self.anna.contacts(self.account.id), self.ben.contacts(self.account.id))
        self.assertEqual(self.ben.quote(q.id), self.anna.quote(q.id))
        doc = "person/" + self.contact.id  # contacts are documents of their own (ADR 24)
        conflicts = self.ben.conflicts(doc)
        self.assertEqual(conflicts, self.anna.conflicts(doc))
        phone = [c for c in conflicts if c.path.endswith("/phone")][0]
        self.assertEqual(sorted(v.value for v in phone.values), ['"+49 89 1111"', '"+49 89 2222"'])
        self.assertEqual(sorted(v.device_id for v in phone.values), sorted([self.anna.device_id(), self.ben.device_id()]))

    def test_a_refused_change_is_restored_and_reported(self):
        sync(self.anna, self.hub, self.scope(self.anna))
        phone = self.ben  # a customer's phone, for this test
        customer = onsite.SyncScope(device_id=phone.device_id(), accounts=[self.account.id], include_costs=False,
                                    role=onsite.DeviceRole.CUSTOMER, person="petra")
        sync(phone, self.hub, customer)
        renamed = phone.account(self.account.id)
        renamed.name = "Umbenannt GmbH"
        phone.save_account(renamed, [])
        # The change travels in the first round, or a round later after an
        # Automerge Bloom-filter false positive: at most three rounds.
        for _ in range(3):
            round_ = phone.sync_apply(self.hub.hub_handle(customer, phone.sync_request()))
            if round_.refused:
                break
        self.assertEqual([r.code for r in round_.refused], [onsite.RefusalCode.NOT_PERMITTED])
        self.assertTrue(round_.refused[0].restored)
        self.assertEqual(phone.account(self.account.id).name, self.account.name, "restored on the phone")
        self.assertIn("Umbenannt GmbH", phone.sync_refusals()[0].local_version, "the refused version is kept")
        self.assertEqual(self.hub.account(self.account.id).name, self.account.name, "nothing stored at the hub")
        self.assertLessEqual(sync(phone, self.hub, customer), 2, "and the phone is not stuck")

    def test_hostile_frames_get_typed_errors(self):
        request = self.anna.sync_request()
        with self.assertRaises(onsite.OnsiteError.Sync):
            self.hub.hub_handle(self.scope(self.anna), request[: len(request) // 2])
        with self.assertRaises(onsite.OnsiteError.Unauthorized):
            self.hub.hub_handle(self.scope(self.ben), request)  # another device's frame
        response = self.hub.hub_handle(self.scope(self.anna), request)
        with self.assertRaises(onsite.OnsiteError.Sync):
            self.hub.hub_handle(self.scope(self.anna), request)  # replayed
        with self.assertRaises(onsite.OnsiteError.Sync):
            self.anna.sync_apply(b"garbage")
        self.anna.sync_apply(response)
        exported = self.anna.export_doc("account/" + self.account.id)
        self.assertEqual(self.ben.import_doc(exported), "account/" + self.account.id)
        self.assertEqual(self.ben.account(self.account.id), self.account)


if __name__ == "__main__":
    unittest.main()

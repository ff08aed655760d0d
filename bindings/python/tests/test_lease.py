"""The offline lease and the wipe through the bindings, in Python.

A store whose last contact with its hub is older than the lease (set with
an independent SQLite3 Multiple Ciphers build, PyPI's apsw-sqlite3mc) is
refused by `open` with a typed error, opens with `open_to_renew` only to
sync, and opens normally again once the hub's answer is applied;
`destroy_store` deletes a closed store's files.
"""

import os
import tempfile
import unittest

import apsw  # apsw-sqlite3mc, installed by the test command

import onsite

CATALOG = b"sku;name;unit;list_price;tax_class\nM8;Sechskantschraube M8;pc;0,12;DE-STD\n"


class Lease(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.dir.name, "tablet.sqlite")
        self.key = onsite.generate_store_key()
        self.hub = onsite.OnsiteStore.open(os.path.join(self.dir.name, "hub.sqlite"), onsite.generate_store_key())
        self.hub.import_catalog(CATALOG, onsite.CatalogFormat.CSV)

    def tearDown(self):
        del self.hub
        self.dir.cleanup()

    def scope(self, store):
        return onsite.SyncScope(device_id=store.device_id(), accounts=None, include_costs=True,
                                role=onsite.DeviceRole.ADMIN, person="backoffice")

    def sync(self, store, scope):
        for _ in range(10):
            if store.sync_apply(self.hub.hub_handle(scope, store.sync_request())).done:
                return
        raise AssertionError("sync did not settle")

    def last_contact(self, at):
        db = apsw.Connection(self.path)
        db.pragma("cipher", "chacha20")
        db.pragma("key", "raw:" + self.key.hex())
        db.execute("UPDATE device SET last_contact_at = ?", (at,))
        db.close()

    def test_an_expired_lease_opens_only_to_sync(self):
        store = onsite.OnsiteStore.open(self.path, self.key)
        scope = self.scope(store)
        self.sync(store, scope)
        status = store.lease_status()
        self.assertEqual(status.days, 30)
        self.assertFalse(status.expired)
        self.assertIsNotNone(status.last_contact)
        self.assertEqual(store.product_count(), 1)
        del store

        self.last_contact("2020-01-01T00:00:00Z")
        with self.assertRaises(onsite.OpenError.LeaseExpired) as e:
            onsite.OnsiteStore.open(self.path, self.key)
        self.assertEqual(e.exception.days, 30)
        self.assertEqual(e.exception.last_contact, "2020-01-01T00:00:00Z")

        store = onsite.OnsiteStore.open_to_renew(self.path, self.key)
        self.assertTrue(store.lease_status().expired)
        with self.assertRaises(onsite.OnsiteError.LeaseExpired):
            store.product_count()
        self.sync(store, scope)
        self.assertEqual(store.product_count(), 1)
        del store
        self.assertFalse(onsite.OnsiteStore.open(self.path, self.key).lease_status().expired)

    def test_destroy_store_deletes_the_files(self):
        store = onsite.OnsiteStore.open(self.path, self.key)
        store.import_catalog(CATALOG, onsite.CatalogFormat.CSV)
        del store
        self.assertTrue(os.path.exists(self.path))
        self.assertGreaterEqual(onsite.destroy_store(self.path), 1)
        self.assertFalse(os.path.exists(self.path))
        self.assertEqual(onsite.destroy_store(self.path), 0)


if __name__ == "__main__":
    unittest.main()

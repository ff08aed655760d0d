"""The store encrypted at rest: the key comes from the caller.

An independent build of SQLite3 Multiple Ciphers (PyPI's apsw-sqlite3mc)
opens the store with the key and not without it.
"""

import os
import tempfile
import unittest

import apsw  # apsw-sqlite3mc, installed by the test command

import onsite

CATALOG = b"sku;name;unit;list_price;tax_class\nGEHEIM-1;Quastenflosser-Schraube;pc;0,35;DE-STD\n"


class Encryption(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.dir.name, "tablet.sqlite")

    def tearDown(self):
        self.dir.cleanup()

    def read(self):
        with open(self.path, "rb") as f:
            return f.read()

    def test_open_reopen_and_wrong_key(self):
        key = onsite.generate_store_key()
        self.assertEqual(len(key), 32)
        store = onsite.OnsiteStore.open(self.path, key)
        store.import_catalog(CATALOG, onsite.CatalogFormat.CSV)
        del store
        data = self.read()
        self.assertFalse(data.startswith(b"SQLite format 3"))
        self.assertNotIn(b"Quastenflosser", data)
        self.assertEqual(onsite.OnsiteStore.open(self.path, key).product_count(), 1)

        with self.assertRaises(onsite.OpenError.Storage) as e:
            onsite.OnsiteStore.open(self.path, onsite.generate_store_key())
        self.assertEqual(e.exception.reason, onsite.StorageReason.WRONG_KEY)
        with self.assertRaises(onsite.OpenError.Storage) as e:
            onsite.OnsiteStore.open_unencrypted(self.path)
        self.assertEqual(e.exception.reason, onsite.StorageReason.KEY_REQUIRED)
        with self.assertRaises(onsite.OpenError.Validation):
            onsite.OnsiteStore.open(self.path, b"short")
        self.assertEqual(self.read(), data, "failed opens write nothing")

    def test_encrypts_an_existing_plaintext_store(self):
        plain = onsite.OnsiteStore.open_unencrypted(self.path)
        plain.import_catalog(CATALOG, onsite.CatalogFormat.CSV)
        del plain
        self.assertTrue(self.read().startswith(b"SQLite format 3"))
        key = onsite.generate_store_key()
        self.assertEqual(onsite.OnsiteStore.open(self.path, key).product(sku="GEHEIM-1").sku, "GEHEIM-1")
        self.assertNotIn(b"Quastenflosser", self.read())

    def test_an_independent_sqlite3mc_opens_it_with_the_key_only(self):
        key = onsite.generate_store_key()
        store = onsite.OnsiteStore.open(self.path, key)
        store.import_catalog(CATALOG, onsite.CatalogFormat.CSV)
        del store

        other = apsw.Connection(self.path)
        other.pragma("cipher", "chacha20")
        other.pragma("key", "raw:" + key.hex())
        names = [r[0] for r in other.execute("SELECT name FROM products")]
        self.assertEqual(names, ["Quastenflosser-Schraube"])
        other.close()

        nokey = apsw.Connection(self.path)
        with self.assertRaises(apsw.NotADBError):
            list(nokey.execute("SELECT count(*) FROM products"))
        nokey.close()

        wrong = apsw.Connection(self.path)
        wrong.pragma("key", "raw:" + onsite.generate_store_key().hex())
        with self.assertRaises(apsw.NotADBError):
            list(wrong.execute("SELECT count(*) FROM products"))
        wrong.close()


if __name__ == "__main__":
    unittest.main()

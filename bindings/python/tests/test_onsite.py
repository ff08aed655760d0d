"""The cross-language scenario, in Python, against the library built here."""

import os
import tempfile
import threading
import unittest

import onsite

CATALOG = """sku;name;unit;list_price;tax_class;c_part;attr:Material
MS-6100;Müller-Schraube Holzbau 6×100;pc;0,35;DE-STD;ja;Stahl
SCH-M8;Schraube M8;pc;0,10;DE-STD;ja;Edelstahl A2
STR-1;Straßenbesen;pc;19,90;DE-STD;nein;Holz
""".encode("utf-8")


def account(name="Müller Maschinenbau", city="München"):  # noqa: D103
    return onsite.Account(
        id=onsite.new_id(),
        name=name,
        legal_form="GmbH",
        employees=62,
        industry="Maschinenbau",
        billing_address=onsite.Address(street="Hauptstraße 1", postal_code="80331", city=city, country="DE"),
        shipping_address=None,
        vat_id="DE123456789",
        customer_group="A",
        assigned_rep="rep-1",
    )


def contact(account_id, first, last, role):
    return onsite.Contact(
        id=onsite.new_id(),
        account_id=account_id,
        first_name=first,
        last_name=last,
        role=role,
        title="Einkauf",
        email="einkauf@example.de",
        phone=None,
        consent=onsite.MarketingConsent(granted=True, at="2026-03-01T10:00:00Z", source="Messe"),
    )


class OnsiteScenario(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.store = onsite.OnsiteStore.open(os.path.join(self.dir.name, "device.sqlite"), onsite.generate_store_key())

    def tearDown(self):
        del self.store
        self.dir.cleanup()

    def test_import_and_search_with_umlauts(self):
        summary = self.store.import_catalog(CATALOG, onsite.CatalogFormat.CSV)
        self.assertEqual(summary.products_added, 3)
        self.assertEqual(self.store.catalog_seq(), 1)
        page = self.store.search_products("mull", 0, 20, False)
        self.assertEqual([h.sku for h in page.items], ["MS-6100"])
        self.assertEqual([h.sku for h in self.store.search_products("STRASSE", 0, 20, False).items], ["STR-1"])
        product = self.store.product("sch-m8")
        self.assertEqual(product.list_price.amount, "0.10")
        self.assertEqual(product.list_price.currency, "EUR")
        self.assertEqual(product.attributes[0].value, "Edelstahl A2")
        self.assertEqual(onsite.format_money(product.list_price, onsite.DisplayLocale.DE), "0,10 €")
        self.assertEqual(onsite.format_money(onsite.parse_money("€1,234.56", onsite.DisplayLocale.EN), onsite.DisplayLocale.DE), "1.234,56 €")

    def test_search_finds_other_spellings_and_typos_and_says_why(self):
        self.store.import_catalog(CATALOG, onsite.CatalogFormat.CSV)
        hit = self.store.search_products("mueller", 0, 20, False).items[0]
        self.assertEqual(hit.sku, "MS-6100")
        self.assertEqual(hit.tier, onsite.MatchTier.EXACT)
        why = hit.matches[0]
        self.assertEqual((why.query, why.word, why.start, why.len), ("mueller", "Müller", 0, 6))
        self.assertEqual(why.field, onsite.MatchField.NAME)
        hit = self.store.search_products("strassenbesne", 0, 20, False).items[0]
        self.assertEqual((hit.sku, hit.tier), ("STR-1", onsite.MatchTier.TYPO))
        self.assertEqual((hit.matches[0].read_as, hit.matches[0].edits), ("strassenbesen", 1))

    def test_account_with_contacts_round_trips(self):
        a = account()
        people = [
            contact(a.id, "Anna", "Weiß", onsite.BuyingRole.DECISION_MAKER),
            contact(a.id, "Jürgen", "Groß", onsite.BuyingRole.BUDGET_HOLDER),
        ]
        self.store.save_account(a, people)
        self.assertEqual(self.store.account(a.id), a)
        back = self.store.contacts(a.id)
        self.assertEqual({c.last_name for c in back}, {"Weiß", "Groß"})
        self.assertEqual(back[0].consent.at, "2026-03-01T10:00:00Z")
        hit = self.store.search_accounts("weiss", 0, 10).items[0]
        self.assertEqual(hit.name, "Müller Maschinenbau")
        self.assertEqual([m.name for m in hit.matching_contacts], ["Anna Weiß"])
        self.assertEqual(self.store.list_accounts("rep-1", 0, 10).items[0].contact_count, 2)

    def test_each_error_variant_has_its_type_and_message(self):
        with self.assertRaises(onsite.OnsiteError.NotFound) as e:
            self.store.product("NOPE-1")
        self.assertEqual(str(e.exception), "product not found: NOPE-1")

        with self.assertRaises(onsite.OnsiteError.Validation) as e:
            self.store.import_catalog(b"sku;name;unit;list_price;tax_class\nA;B;pc;teuer;DE-STD\n", onsite.CatalogFormat.CSV)
        self.assertIn("line 2 (A): bad list_price", str(e.exception))
        self.assertEqual(self.store.product_count(), 0, "nothing imported")

        bad = account()
        bad.vat_id = "123"
        with self.assertRaises(onsite.OnsiteError.Validation) as e:
            self.store.save_account(bad, [])
        self.assertIn("VAT ID", str(e.exception))

        a, b = account(), account("Schmidt Metallbau", "Köln")
        c = contact(a.id, "Anna", "Weiß", onsite.BuyingRole.USER)
        self.store.save_account(a, [c])
        self.store.save_account(b, [])
        c.account_id = b.id
        with self.assertRaises(onsite.OnsiteError.Conflict) as e:
            self.store.save_contact(c)
        self.assertIn("contacts cannot move", str(e.exception))
        self.assertNotIn("Weiß", str(e.exception), "no personal data in messages")

        with self.assertRaises(onsite.OpenError.Storage) as e:
            onsite.OnsiteStore.open(os.path.join(self.dir.name, "missing-dir", "x.sqlite"), onsite.generate_store_key())
        self.assertEqual(e.exception.reason, onsite.StorageReason.UNAVAILABLE)
        self.assertIn("storage error", e.exception.detail)

        with self.assertRaises(onsite.OnsiteError.Validation):
            self.store.search_products("x", 0, 0, False)
        with self.assertRaises(onsite.OnsiteError.Validation):
            onsite.parse_money("zwölf", onsite.DisplayLocale.DE)

    def test_bad_values_from_python_are_errors_not_crashes(self):
        # A record field that cannot become a Rust value fails while UniFFI
        # lifts the argument, before our code runs: UniFFI's own error,
        # naming the argument and the reason, never a crash.
        with self.assertRaises(onsite.InternalError) as e:
            onsite.format_money(onsite.Money(amount="not a number", currency="EUR"), onsite.DisplayLocale.DE)
        self.assertIn("not a decimal", str(e.exception))
        with self.assertRaises(onsite.InternalError) as e:
            onsite.format_money(onsite.Money(amount="1", currency="XYZ"), onsite.DisplayLocale.DE)
        self.assertIn("unknown currency code", str(e.exception))
        c = contact(onsite.new_id(), "A", "B", onsite.BuyingRole.USER)
        c.consent = onsite.MarketingConsent(granted=True, at="yesterday", source="x")
        with self.assertRaises(onsite.InternalError):
            self.store.save_contact(c)
        # Values that lift but break a rule are Validation errors.
        with self.assertRaises(onsite.OnsiteError.Validation):
            self.store.save_account(account(name=""), [])
        huge = account()
        huge.name = "x" * 100_000
        with self.assertRaises(onsite.OnsiteError.Validation):
            self.store.save_account(huge, [])

    def test_many_threads_at_once(self):
        self.store.import_catalog(CATALOG, onsite.CatalogFormat.CSV)
        errors = []

        def work(i):
            try:
                for _ in range(20):
                    self.assertEqual(len(self.store.search_products("schraube", 0, 10, False).items), 2)
                a = account(f"Firma {i}")
                self.store.save_account(a, [contact(a.id, "Eva", f"Nr{i}", onsite.BuyingRole.USER)])
            except Exception as e:  # noqa: BLE001 - collected and asserted below
                errors.append(e)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        self.assertEqual(len(self.store.list_accounts(None, 0, 50).items), 8)


if __name__ == "__main__":
    unittest.main()

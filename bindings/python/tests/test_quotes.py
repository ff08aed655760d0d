"""Quotes through the bindings, in Python: price, send, approve, order,
reorder, a superseded approval, the discount policy, typed errors."""

import os
import tempfile
import unittest

import onsite

CATALOG = """sku;name;unit;list_price;tax_class;c_part;category
SKS-M8;Sechskantschraube M8×40;pc;0,12;DE-STD;ja;Schrauben
AKB-18;Akku-Bohrschrauber 18 V;pc;189,00;DE-STD;nein;Werkzeug/Elektro
BUCH;Handbuch Befestigungstechnik;pc;49,90;DE-RED;nein;Literatur
""".encode("utf-8")

TODAY = "2026-03-10"


class QuoteScenario(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.store = onsite.OnsiteStore.open(os.path.join(self.dir.name, "q.sqlite"), onsite.generate_store_key())
        self.store.import_catalog(CATALOG, onsite.CatalogFormat.CSV)
        self.account = onsite.Account(
            id=onsite.new_id(), name="Müller Maschinenbau", legal_form="GmbH", employees=62, industry=None,
            billing_address=onsite.Address(street="Hauptstraße 1", postal_code="80331", city="München", country="DE"),
            shipping_address=None, vat_id=None, customer_group="A", assigned_rep="rep-1")
        self.store.save_account(self.account, [])

    def tearDown(self):
        del self.store
        self.dir.cleanup()

    def new_quote(self):
        q = self.store.create_quote(self.account.id, None, "rep-1", onsite.DisplayLocale.DE, "2026-03-31")
        q = self.store.add_quote_line(q.id, "SKS-M8", "1000", "0", TODAY)
        return self.store.add_quote_line(q.id, "BUCH", "1", "0", TODAY)

    def approval(self, quote):
        return onsite.Approval(quote_id=quote.id, revision_hash=quote.revision_hash, signer_name="Anna Weiß", signer_role="Einkauf",
                               auth=onsite.SignerAuth.CUSTOMER_DEVICE, device_time="2026-03-10T09:00:00Z",
                               device_id="phone-1")

    def test_price_send_approve_order_reorder(self):
        q = self.new_quote()
        totals = onsite.quote_totals(q)
        self.assertEqual((totals.net_total, totals.tax_total, totals.gross_total), ("169.90", "26.29", "196.19"))
        self.assertEqual([g.rate_pct for g in totals.groups], ["7", "19"])
        self.assertEqual(len(q.revision_hash), 64)
        q = self.store.send_quote(q.id, TODAY)
        self.assertEqual(q.state, onsite.QuoteState.SENT)
        q = self.store.approve_quote(q.id, self.approval(q), TODAY)
        self.assertEqual(onsite.quote_approval_status(q), onsite.ApprovalStatus.APPROVED())
        order = self.store.order_quote(q.id)
        self.assertEqual(order.gross_total, "196.19")
        rep = onsite.RepContact(name="Jürgen Groß", email="j.gross@onsite.example", phone="+49 170 1")
        opts = onsite.pdf_options(TODAY)
        pdf = self.store.render_quote_pdf(q.id, rep, opts)
        self.assertTrue(pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF"))
        self.assertEqual(pdf, self.store.render_quote_pdf(q.id, rep, opts), "deterministic")
        sheet = self.store.render_datasheet_pdf("SKS-M8", self.account.id, rep, None, opts)
        self.assertTrue(sheet.startswith(b"%PDF-"))
        with self.assertRaises(onsite.OnsiteError.Validation):
            self.store.render_datasheet_pdf("SKS-M8", self.account.id, rep, b"no image", opts)
        again = self.store.reorder(order.id, [onsite.QuantityChange(sku="SKS-M8", qty="500")], TODAY)
        self.assertEqual(again.reorder_of, order.id)
        self.assertEqual([l.sku for l in again.lines], ["SKS-M8", "BUCH"], "consumables first")
        self.assertEqual(again.lines[0].qty, "500")

    def test_optional_positions_and_the_company_profile(self):
        q = self.new_quote()
        q = self.store.set_quote_positions(q.id, [onsite.PositionChange(index=1, position=onsite.Position.OPTIONAL(), chosen=False)])
        totals = onsite.quote_totals(q)
        self.assertEqual(totals.net_total, "120.00", "the optional book is not in the total")
        self.assertEqual(len(totals.line_nets), 2)
        q = self.store.choose_quote_position(q.id, 1, True)
        self.assertEqual(onsite.quote_totals(q).net_total, "169.90")
        with self.assertRaises(onsite.OnsiteError.Validation):
            self.store.choose_quote_position(q.id, 0, False)
        # A group of alternatives is made whole in one call: two lines, one chosen.
        group = onsite.Position.ALTERNATIVE(group="A")
        with self.assertRaises(onsite.OnsiteError.Validation):
            self.store.set_quote_positions(q.id, [onsite.PositionChange(index=0, position=group, chosen=True)])
        q = self.store.set_quote_positions(q.id, [onsite.PositionChange(index=0, position=group, chosen=True),
                                                  onsite.PositionChange(index=1, position=group, chosen=False)])
        self.assertEqual(onsite.quote_totals(q).net_total, "120.00", "the chosen alternative counts")
        q = self.store.choose_quote_position(q.id, 1, True)
        self.assertEqual(onsite.quote_totals(q).net_total, "49.90", "now the other one")

        self.assertIsNone(self.store.company_profile())
        profile = onsite.CompanyProfile(
            name="Keller Befestigungstechnik", legal_form="GmbH",
            address=onsite.Address(street="Hafenstraße 21", postal_code="90451", city="Nürnberg", country="DE"),
            register_court="Amtsgericht Nürnberg", register_number="HRB 31337", vat_id="DE136695976",
            managing_directors=["Dr. Eva Roth"], approval_base_url="https://angebote.keller-befestigung.de")
        with self.assertRaises(onsite.OnsiteError.Validation):
            bad = onsite.CompanyProfile(
                name=profile.name, legal_form="GmbH", address=profile.address, vat_id="DE136695977",
                approval_base_url=profile.approval_base_url)
            self.store.set_company_profile(bad)
        self.store.set_company_profile(profile)
        self.assertEqual(self.store.company_profile().register_number, "HRB 31337")
        rep = onsite.RepContact(name="", email="", phone="")
        pdf = self.store.render_quote_pdf(q.id, rep, onsite.pdf_options(TODAY))
        self.assertIn(b"Keller Befestigungstechnik GmbH", pdf, "the sender in the metadata")

    def test_an_approval_of_an_older_revision_is_superseded(self):
        q = self.store.send_quote(self.new_quote().id, TODAY)
        signed_offline = self.approval(q)          # the customer signs revision 1 on the train
        q.lines[0].qty = "2000"                    # meanwhile the rep changes the quantity
        q = self.store.edit_quote(q)
        self.assertEqual((q.revision, q.state), (2, onsite.QuoteState.DRAFT))
        q = self.store.send_quote(q.id, TODAY)
        with self.assertRaises(onsite.OnsiteError.Conflict) as e:
            self.store.approve_quote(q.id, signed_offline, TODAY)
        self.assertIn("current revision is 2", str(e.exception))
        q = self.store.approve_quote(q.id, self.approval(q), TODAY)
        self.assertEqual(onsite.quote_approval_status(q), onsite.ApprovalStatus.APPROVED())
        q.notes = "Lieferung KW 14"
        q = self.store.edit_quote(q)
        self.assertEqual(onsite.quote_approval_status(q), onsite.ApprovalStatus.SUPERSEDED(current_revision=3))

    def test_signed_approval_links_per_revision(self):
        q = self.store.send_quote(self.new_quote().id, TODAY)
        with self.assertRaises(onsite.OnsiteError.Validation):
            self.store.approval_link(q.id, "https://hub.example.com")   # no key yet
        self.store.set_approval_link_key("ost_" + "ab" * 32)
        first = self.store.approval_link(q.id, "https://hub.example.com/")
        self.assertTrue(first.startswith("https://hub.example.com/a/" + q.id + ".1."), first)
        self.assertEqual(first, self.store.approval_link(q.id, "https://hub.example.com"))
        q.notes = "Lieferung KW 14"
        q = self.store.send_quote(self.store.edit_quote(q).id, TODAY)
        second = self.store.approval_link(q.id, "https://hub.example.com")
        self.assertTrue(second.startswith("https://hub.example.com/a/" + q.id + ".2."), second)
        self.assertNotEqual(first.rsplit(".", 1)[1], second.rsplit(".", 1)[1], "each revision has its own signature")
        self.assertIsNone(self.approval(q).client_address, "the hub fills it for web approvals only")

    def test_discount_policy_and_typed_errors(self):
        self.store.set_discount_policy(onsite.DiscountPolicy(
            max_discount_pct="10", category_limits=[onsite.CategoryLimit(category="Werkzeug/", max_discount_pct="5")],
            min_margin_pct="0", reason_required=True))
        q = self.store.create_quote(self.account.id, None, "rep-1", onsite.DisplayLocale.EN, "2026-03-31")
        q = self.store.add_quote_line(q.id, "AKB-18", "1", "8", TODAY)
        with self.assertRaises(onsite.OnsiteError.Validation) as e:
            self.store.send_quote(q.id, TODAY)
        self.assertIn("exceeds the limit of 5 %", str(e.exception))
        q = self.store.request_discount_approval(q.id, "Wettbewerb")
        self.assertEqual(q.state, onsite.QuoteState.NEEDS_DISCOUNT_APPROVAL)
        self.store.decide_discount(q.id, True, "backoffice-1")
        q = self.store.send_quote(q.id, TODAY)
        self.assertEqual(q.state, onsite.QuoteState.SENT)
        self.assertEqual(self.store.granted_discounts(self.account.id)[0].discount_pct, "8")

        check = self.store.policy_check(q)
        self.assertEqual((check.max_effective_pct, check.limit_pct, check.needs_approval), ("8", "5", True))
        with self.assertRaises(onsite.OnsiteError.Conflict):
            self.store.order_quote(q.id)              # not approved: illegal transition
        with self.assertRaises(onsite.OnsiteError.Validation):
            self.store.add_quote_line(q.id, "BUCH", "0", "0", TODAY)
        with self.assertRaises(onsite.OnsiteError.Validation):
            self.store.add_quote_line(q.id, "BUCH", "zwei", "0", TODAY)
        with self.assertRaises(onsite.OnsiteError.Validation):
            self.store.add_quote_line(q.id, "NOPE", "1", "0", TODAY)
        with self.assertRaises(onsite.OnsiteError.NotFound):
            self.store.quote("nope")
        q.value_arguments = ["NO-SUCH-STORY"]
        with self.assertRaises(onsite.OnsiteError.Validation):
            self.store.edit_quote(q)
        q = self.store.reject_quote(q.id, "zu teuer")
        self.assertEqual((q.state, q.rejection_reason), (onsite.QuoteState.REJECTED, "zu teuer"))


if __name__ == "__main__":
    unittest.main()

"""Lead scoring and campaigns through the bindings, in Python: the classic
case (two opened mailings against a download and a comment), consent, the
buying-center hint, the funnel's weakest stage and the A/B verdict."""

import os
import tempfile
import unittest

import onsite

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL = open(os.path.join(HERE, "..", "..", "..", "tests", "data", "scoring-model.json"), "rb").read()
NOW = "2026-11-27T12:00:00Z"


class LeadScenario(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.store = onsite.OnsiteStore.open(os.path.join(self.dir.name, "rep.sqlite"), onsite.generate_store_key())
        self.store.import_catalog(MODEL, onsite.CatalogFormat.JSON)
        consent = onsite.MarketingConsent(granted=True, at="2026-01-10T09:00:00Z", source="web double opt-in")
        self.ids = {}
        for key in ("mailings", "download"):
            a = onsite.Account(
                id=onsite.new_id(), name="Firma " + key, legal_form="GmbH", employees=62, industry="Maschinenbau",
                billing_address=onsite.Address(street="Hauptstraße 1", postal_code="80331", city="München", country="DE"),
                shipping_address=None, vat_id=None, customer_group=None, assigned_rep="rep-1")
            c = onsite.Contact(
                id=onsite.new_id(), account_id=a.id, first_name="Eva", last_name=key, role=onsite.BuyingRole.DECISION_MAKER,
                title=None, email=key + "@example.com", phone="+49 89 1", consent=consent)
            self.store.save_account(a, [c])
            self.ids[key] = a.id

    def tearDown(self):
        del self.store
        self.dir.cleanup()

    def test_the_download_and_the_comment_are_called_first(self):
        rows = ["email;kind;at"]
        rows += ["mailings@example.com;email_sent;2026-11-%02dT08:00:00Z" % d for d in (10, 13, 17, 20)]
        rows += ["mailings@example.com;email_opened;2026-11-%02dT09:00:00Z" % d for d in (13, 20)]
        rows += ["download@example.com;case_study_download;2026-11-25T10:00:00Z",
                 "download@example.com;social_comment;2026-11-22T10:00:00Z",
                 "nobody@example.org;email_opened;2026-11-22T10:00:00Z"]
        summary = self.store.import_activities("\n".join(rows).encode("utf-8"), "newsletter-tool")
        self.assertEqual(summary.imported, 8)
        self.assertEqual(len(summary.unmatched), 1)
        calls = self.store.call_list(None, NOW, 10)
        self.assertEqual([c.account_id for c in calls], [self.ids["download"], self.ids["mailings"]])
        self.assertEqual(calls[0].fit_pct, calls[1].fit_pct)
        self.assertEqual(calls[0].fit_pct, 100)
        self.assertIn("downloaded the case study 2 days ago", calls[0].reason)
        self.assertTrue(calls[0].may_email)
        self.assertIn("only 1 person identified", calls[0].coverage.hint)
        score = self.store.account_score(self.ids["mailings"], NOW)
        self.assertEqual([i.kind for i in score.interest.items], [onsite.ActivityKind.EMAIL_OPENED] * 2,
                         "mailings sent earn nothing")

    def test_campaign_funnel_and_ab_test(self):
        report = self.store.campaign_report("kanban-c-teile")
        self.assertAlmostEqual(report.open_rate_pct, 30.0)
        self.assertAlmostEqual(report.bounce_rate_pct, 75.0)
        self.assertEqual(report.weakest, onsite.Stage.INTEREST, "50 of 300 openers stayed, target 40 %")
        self.assertIn("header image", report.remedies)
        self.assertEqual(report.ab_test.verdict, "B wins with 96% confidence")
        # Reference: Python's math.erfc gives p = 0.0308371678 for 200/1000 vs 240/1000.
        self.assertAlmostEqual(onsite.ab_test("A", 1000, 200, "B", 1000, 240).p_value, 0.0308371678, places=6)
        self.assertEqual(onsite.ab_sample_size(0.2, 0.1, 0.05, 0.8), 6510)

    def test_errors_are_typed(self):
        with self.assertRaises(onsite.OnsiteError.NotFound):
            self.store.campaign_report("nope")
        with self.assertRaises(onsite.OnsiteError.Validation):
            onsite.ab_test("A", 10, 11, "B", 10, 1)
        with self.assertRaises(onsite.OnsiteError.Validation):
            self.store.call_list(None, "yesterday", 10)
        with self.assertRaises(onsite.OnsiteError.Validation):
            self.store.import_activities(b"email;kind;at\nx@y.de;telepathy;2026-11-20T10:00:00Z\n", "m")
        bare = onsite.OnsiteStore.open(os.path.join(self.dir.name, "bare.sqlite"), onsite.generate_store_key())
        with self.assertRaises(onsite.OnsiteError.NotFound):
            bare.call_list(None, NOW, 10)

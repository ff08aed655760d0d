"""VAT IDs through the bindings, against an independent implementation.

python-stdnum (PyPI, installed by the test command) knows every member
state's VAT ID rules. For the twelve states whose check digits the core
computes, thousands of numbers in each state's format (every final digit of random
heads tried, so most heads give one valid number) must be judged the
same by both; for the others the core checks the format only and must
accept whatever stdnum accepts.
"""

import random
import unittest

from stdnum.eu import vat as eu_vat  # python-stdnum, installed by the test command

import onsite

CHECKED = ["AT", "BE", "DE", "DK", "FI", "FR", "IT", "LU", "NL", "PL", "PT", "SE"]


def digits(rng, n):
    return "".join(rng.choice("0123456789") for _ in range(n))


def candidates(rng, country):
    """Numbers in the country's format: every final digit (or pair) of a random head."""
    if country == "AT":
        head = "U" + digits(rng, 7)
        return [head + str(d) for d in range(10)]
    if country == "BE":
        head = rng.choice("01") + digits(rng, 7)
        return [head + f"{d:02}" for d in range(100)]
    if country == "LU":
        head = digits(rng, 6)
        return [head + f"{d:02}" for d in range(100)]
    if country == "FR":
        siren = digits(rng, 8)
        return [f"{k:02}" + siren + str(d) for k in range(100) for d in range(10)]
    if country == "NL":
        head = digits(rng, 8)
        return [head + str(d) + "B" + rng.choice(["01", "02", "12"]) for d in range(10)]
    if country == "SE":
        head = digits(rng, 9)
        return [head + str(d) + "01" for d in range(10)]
    if country == "IT":
        # Seven digits, the tax office (001-100, or 120, 121, 888, 999), the check digit.
        head = digits(rng, 7) + f"{rng.choice(list(range(1, 101)) + [120, 121, 888, 999, 0, 101, 500]):03}"
        return [head + str(d) for d in range(10)]
    lengths = {"DE": 9, "DK": 8, "FI": 8, "PL": 10, "PT": 9}
    head = digits(rng, lengths[country] - 1)
    return [head + str(d) for d in range(10)]


def ours(text):
    try:
        return onsite.check_vat_id(text)
    except onsite.OnsiteError.Validation:
        return None


class VatIdTest(unittest.TestCase):
    def test_check_digits_agree_with_python_stdnum(self):
        rng = random.Random(19)
        for country in CHECKED:
            valid = judged = 0
            rounds = 30 if country == "FR" else 300
            for _ in range(rounds):
                for number in candidates(rng, country):
                    text = country + number
                    theirs = eu_vat.is_valid(text)
                    mine = ours(text)
                    self.assertEqual(mine is not None, theirs, f"{text}: stdnum says {theirs}")
                    if mine is not None:
                        self.assertTrue(mine.check_digits, text)
                        valid += 1
                    judged += 1
            # Most heads have exactly one valid ending: enough of both kinds.
            self.assertGreater(valid, rounds // 2, f"{country}: too few valid numbers to compare ({valid} of {judged})")

    def test_the_format_only_states_accept_what_stdnum_accepts(self):
        samples = ["HU12892312", "ES54362315K", "IE6388047V", "EL094259216", "CZ25123891", "SK2022749619",
                   "SI50223054", "HR33392005961", "LV40003521600", "LT119511515", "EE100931558", "MT11679112",
                   "RO18547290", "BG175074752", "CY10259033P"]
        for text in samples:
            theirs = eu_vat.is_valid(text)
            mine = ours(text)
            if theirs:
                self.assertIsNotNone(mine, f"{text} is valid by stdnum")
                self.assertFalse(mine.check_digits, f"{text}: the format only")

    def test_the_treatment_follows_the_destination_and_the_vat_id(self):
        def account(country, vat_id):
            address = onsite.Address(street="Hauptstraße 1", postal_code="1010", city="Wien", country=country)
            return onsite.Account(id=onsite.new_id(), name="Kunde", legal_form=None, employees=None, industry=None,
                                  billing_address=address, shipping_address=None, vat_id=vat_id,
                                  customer_group=None, assigned_rep=None)
        self.assertEqual(onsite.tax_treatment(account("AT", "ATU13585627")), onsite.TaxTreatment.INTRA_COMMUNITY)
        self.assertEqual(onsite.tax_treatment(account("AT", None)), onsite.TaxTreatment.DOMESTIC)
        self.assertEqual(onsite.tax_treatment(account("CH", None)), onsite.TaxTreatment.EXPORT)
        self.assertEqual(onsite.tax_treatment(account("DE", "DE136695976")), onsite.TaxTreatment.DOMESTIC)

    def test_typed_forms_and_clear_errors(self):
        self.assertEqual(onsite.check_vat_id("de 136.695.976").country, "DE")
        with self.assertRaises(onsite.OnsiteError.Validation) as e:
            onsite.check_vat_id("GR094259216")
        self.assertIn("EL", str(e.exception))
        with self.assertRaises(onsite.OnsiteError.Validation):
            onsite.check_vat_id("DE136695977")


if __name__ == "__main__":
    unittest.main()

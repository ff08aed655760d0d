//! A/B tests: a two-sided two-proportion z-test of one variant against the
//! other, the sample size that would show a lift, and the normal
//! distribution they need.
//!
//! Rates are `f64` percentages: they are statistics, not money.

use serde::Serialize;

/// The standard normal distribution function Φ(x).
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// The complementary error function, by a Chebyshev fit with a relative
/// error below 1.2e-7 everywhere (Numerical Recipes' `erfcc`).
pub fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98 + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

/// The x with Φ(x) = p, by bisection (p in (0, 1)).
pub fn normal_quantile(p: f64) -> f64 {
    let (mut lo, mut hi) = (-40.0f64, 40.0f64);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if normal_cdf(mid) < p { lo = mid } else { hi = mid }
    }
    0.5 * (lo + hi)
}

/// An A/B test's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct AbResult {
    /// Variant A's name.
    pub a: String,
    /// Variant B's name.
    pub b: String,
    /// A's rate, in percent.
    pub rate_a_pct: f64,
    /// B's rate, in percent.
    pub rate_b_pct: f64,
    /// B − A, in percentage points.
    pub difference_pts: f64,
    /// The z statistic (pooled standard error).
    pub z: f64,
    /// Two-sided p-value.
    pub p_value: f64,
    /// Significant at the 5 % level.
    pub significant: bool,
    /// "B wins with 97% confidence" / "no significant difference yet".
    pub verdict: String,
    /// Recipients per variant needed to detect a 10 % relative lift on A's
    /// rate (5 % significance, 80 % power).
    pub needed_per_variant: u64,
}

/// A two-sided two-proportion z-test of B against A (`x` successes of `n`).
pub fn ab_test(a: &str, n_a: u64, x_a: u64, b: &str, n_b: u64, x_b: u64) -> AbResult {
    let (pa, pb) =
        (if n_a == 0 { 0.0 } else { x_a as f64 / n_a as f64 }, if n_b == 0 { 0.0 } else { x_b as f64 / n_b as f64 });
    let pooled = if n_a + n_b == 0 { 0.0 } else { (x_a + x_b) as f64 / (n_a + n_b) as f64 };
    let se = if n_a == 0 || n_b == 0 {
        0.0
    } else {
        (pooled * (1.0 - pooled) * (1.0 / n_a as f64 + 1.0 / n_b as f64)).sqrt()
    };
    let z = if se > 0.0 { (pb - pa) / se } else { 0.0 };
    let p_value = if se > 0.0 { erfc(z.abs() / std::f64::consts::SQRT_2).clamp(0.0, 1.0) } else { 1.0 };
    let significant = p_value < 0.05;
    let needed = sample_size(pa, 0.10, 0.05, 0.80).unwrap_or(0);
    let verdict = if n_a == 0 || n_b == 0 {
        let empty: Vec<&str> = [(a, n_a), (b, n_b)].iter().filter(|(_, n)| *n == 0).map(|(v, _)| *v).collect();
        format!("nothing sent to {} yet: no verdict", empty.join(" or "))
    } else if needed == 0 && !significant {
        let why = if x_a == 0 { format!("{a} has no conversions yet") } else { format!("{a}'s rate is too high") };
        format!(
            "no significant difference yet (p = {p_value:.2}); {why}, so no sample size for a 10% lift can be given"
        )
    } else if significant {
        let winner = if pb > pa { b } else { a };
        let confidence = ((1.0 - p_value) * 100.0).floor();
        format!("{winner} wins with {confidence:.0}% confidence")
    } else {
        format!("no significant difference yet (p = {p_value:.2}); about {needed} per variant would show a 10% lift")
    };
    AbResult {
        a: a.into(),
        b: b.into(),
        rate_a_pct: pa * 100.0,
        rate_b_pct: pb * 100.0,
        difference_pts: (pb - pa) * 100.0,
        z,
        p_value,
        significant,
        verdict,
        needed_per_variant: needed,
    }
}

/// Recipients per variant to detect a relative `lift` on a `baseline` rate
/// (both fractions) at significance `alpha` (two-sided) with `power`;
/// `None` when there is nothing to detect.
pub fn sample_size(baseline: f64, lift: f64, alpha: f64, power: f64) -> Option<u64> {
    let p1 = baseline;
    let p2 = baseline * (1.0 + lift);
    if !(p1 > 0.0 && p1 < 1.0 && p2 > 0.0 && p2 < 1.0) || (p2 - p1).abs() < 1e-12 {
        return None;
    }
    if !(alpha > 0.0 && alpha < 1.0 && power > 0.0 && power < 1.0) {
        return None;
    }
    let za = normal_quantile(1.0 - alpha / 2.0);
    let zb = normal_quantile(power);
    let pbar = (p1 + p2) / 2.0;
    let n = (za * (2.0 * pbar * (1.0 - pbar)).sqrt() + zb * (p1 * (1.0 - p1) + p2 * (1.0 - p2)).sqrt()).powi(2)
        / (p2 - p1).powi(2);
    Some(n.ceil() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference values computed independently with Python's `math.erfc`
    /// and `statistics.NormalDist` (not with this code).
    #[test]
    fn the_z_test_matches_independent_reference_values() {
        let cases = [
            ((1000, 200, 1000, 240), 2.1591675854, 0.0308371678),
            ((500, 50, 500, 55), 0.5157792154, 0.6060086208),
            ((2000, 300, 2000, 360), 2.5558540189, 0.0105927548),
            ((120, 30, 118, 18), -1.8734345234, 0.0610084064),
        ];
        for ((na, xa, nb, xb), z, p) in cases {
            let r = ab_test("A", na, xa, "B", nb, xb);
            assert!((r.z - z).abs() < 1e-9, "z {} vs {z}", r.z);
            assert!((r.p_value - p).abs() < 1e-6, "p {} vs {p}", r.p_value);
        }
        let win = ab_test("A", 1000, 200, "B", 1000, 240);
        assert_eq!(win.verdict, "B wins with 96% confidence");
        assert!(win.significant);
        let none = ab_test("A", 500, 50, "B", 500, 55);
        assert!(
            !none.significant && none.verdict.starts_with("no significant difference yet (p = 0.61)"),
            "{}",
            none.verdict
        );
    }

    #[test]
    fn an_empty_test_says_so_instead_of_a_sample_size_of_zero() {
        let r = ab_test("A", 0, 0, "B", 0, 0);
        assert_eq!(r.verdict, "nothing sent to A or B yet: no verdict");
        assert_eq!(ab_test("A", 100, 3, "B", 0, 0).verdict, "nothing sent to B yet: no verdict");
        let none = ab_test("A", 100, 0, "B", 100, 1);
        assert!(
            none.verdict.contains("A has no conversions yet") && !none.verdict.contains("about 0"),
            "{}",
            none.verdict
        );
        assert!(ab_test("A", 1000, 50, "B", 1000, 52).verdict.contains("per variant would show a 10% lift"));
    }

    #[test]
    fn sample_sizes_match_the_reference_formula() {
        // Python: 6509.47 and 8157.73 recipients per variant.
        assert_eq!(sample_size(0.2, 0.1, 0.05, 0.8), Some(6510));
        assert_eq!(sample_size(0.05, 0.2, 0.05, 0.8), Some(8158));
        assert!((normal_quantile(0.975) - 1.959_963_984_540_054).abs() < 1e-6);
        assert!((normal_quantile(0.8) - 0.841_621_233_572_914_4).abs() < 1e-6);
        assert_eq!(sample_size(0.0, 0.1, 0.05, 0.8), None);
        assert_eq!(sample_size(0.2, 0.0, 0.05, 0.8), None);
    }
}

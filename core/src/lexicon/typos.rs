//! Typo tolerance: a bounded edit distance and the rule of how many edits a
//! word may have.

/// Edits a query word of `letters` letters may have: none below five, one
/// from five, two from nine.
pub fn allowed_edits(letters: usize) -> usize {
    match letters {
        0..=4 => 0,
        5..=8 => 1,
        _ => 2,
    }
}

/// Longest word compared (longer ones are never corrected).
pub const MAX_LEN: usize = 48;

/// The optimal string alignment distance of `a` and `b` (Damerau-Levenshtein
/// with adjacent transpositions: insertion, deletion, substitution and
/// swapping two neighbours each cost one; no part is edited twice), or
/// `None` if it is above `max` or a word is longer than [`MAX_LEN`]. Stops
/// as soon as a row of the table exceeds `max`.
pub fn distance<T: PartialEq + Copy>(a: &[T], b: &[T], max: usize) -> Option<usize> {
    if a.len().abs_diff(b.len()) > max || a.len() > MAX_LEN || b.len() > MAX_LEN {
        return None;
    }
    let n = b.len();
    // Three rotating rows: i - 2, i - 1, i.
    let mut rows = [[0u8; MAX_LEN + 1]; 3];
    for (j, cell) in rows[0].iter_mut().enumerate().take(n + 1) {
        *cell = j as u8;
    }
    for i in 1..=a.len() {
        let (cur, prev, prev2) = (i % 3, (i + 2) % 3, (i + 1) % 3);
        rows[cur][0] = i as u8;
        let mut row_min = rows[cur][0];
        for j in 1..=n {
            let cost = u8::from(a[i - 1] != b[j - 1]);
            let mut v = (rows[prev][j] + 1).min(rows[cur][j - 1] + 1).min(rows[prev][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(rows[prev2][j - 2] + 1);
            }
            rows[cur][j] = v;
            row_min = row_min.min(v);
        }
        if usize::from(row_min) > max {
            return None;
        }
    }
    let d = usize::from(rows[a.len() % 3][n]);
    (d <= max).then_some(d)
}

/// A 32-bit set of the letters of a word (`a`–`z` one bit each, others
/// hashed into the last six). One edit changes at most two bits, so two
/// words whose sets differ in more than `2 × max` bits are more than `max`
/// edits apart: a filter that saves most distance computations.
pub fn letter_mask(w: &str) -> u32 {
    w.chars().fold(0u32, |m, c| {
        let bit = if c.is_ascii_lowercase() { u32::from(c as u8 - b'a') } else { 26 + (c as u32 % 6) };
        m | (1 << bit)
    })
}

/// [`distance`] of two strings, by bytes when both are ASCII.
pub fn str_distance(a: &str, b: &str, max: usize) -> Option<usize> {
    if a.is_ascii() && b.is_ascii() {
        distance(a.as_bytes(), b.as_bytes(), max)
    } else {
        let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
        distance(&a, &b, max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The textbook table, for comparison.
    fn naive(a: &[u8], b: &[u8]) -> usize {
        let (m, n) = (a.len(), b.len());
        let mut d = vec![vec![0usize; n + 1]; m + 1];
        for (i, row) in d.iter_mut().enumerate() {
            row[0] = i;
        }
        for (j, cell) in d[0].iter_mut().enumerate() {
            *cell = j;
        }
        for i in 1..=m {
            for j in 1..=n {
                let cost = usize::from(a[i - 1] != b[j - 1]);
                d[i][j] = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
                }
            }
        }
        d[m][n]
    }

    #[test]
    fn each_kind_of_edit_costs_one() {
        let d = |a: &str, b: &str| str_distance(a, b, 2);
        assert_eq!(d("sechskantschruabe", "sechskantschraube"), Some(1), "transposition");
        assert_eq!(d("schraube", "schraue"), Some(1), "deletion");
        assert_eq!(d("schraube", "schraubbe"), Some(1), "insertion");
        assert_eq!(d("schraube", "schrauve"), Some(1), "substitution");
        assert_eq!(d("schraube", "schraube"), Some(0));
        assert_eq!(d("schraube", "mutter"), None);
        assert_eq!(d("dübel", "dubel"), Some(1), "by chars, not bytes");
    }

    #[test]
    fn edits_allowed_by_length() {
        assert_eq!((allowed_edits(4), allowed_edits(5), allowed_edits(8), allowed_edits(9)), (0, 1, 1, 2));
    }

    proptest! {
        #[test]
        fn bounded_distance_agrees_with_the_table(a in "[a-e]{0,12}", b in "[a-e]{0,12}", max in 0usize..4) {
            let full = naive(a.as_bytes(), b.as_bytes());
            let bounded = distance(a.as_bytes(), b.as_bytes(), max);
            prop_assert_eq!(bounded, (full <= max).then_some(full));
            prop_assert_eq!(bounded, distance(b.as_bytes(), a.as_bytes(), max), "symmetric");
        }

        #[test]
        fn the_letter_filter_never_rejects_a_near_word(a in "[a-zäöß]{1,12}", b in "[a-zäöß]{1,12}", max in 1usize..3) {
            if str_distance(&a, &b, max).is_some() {
                prop_assert!((letter_mask(&a) ^ letter_mask(&b)).count_ones() as usize <= 2 * max);
            }
        }
    }
}

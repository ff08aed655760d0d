//! Why a search hit matched: how each query word matched (`MatchKind`),
//! where (`MatchField`), and the whole explanation a UI highlights
//! (`WordMatch`). Below the plan and the matching, which both speak of it.

use serde::Serialize;

/// How one query word matched, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum MatchKind {
    /// The whole query text is the SKU.
    Sku,
    /// A whole word (also in another spelling: `duebel` for `Dübel`, `din933` for `DIN 933`).
    Exact,
    /// An inflection of the word (`unterlegscheiben` for `Unterlegscheibe`).
    Inflected,
    /// The beginning of a word (`schraub` for `Schraube`).
    WordStart,
    /// The beginning of a part of a compound (`mutter` in `Sechskantmutter`).
    CompoundPart,
    /// A word or part within the allowed typos (`sechskantschruabe` for `Sechskantschraube`).
    Typo,
}

/// Where a query word matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum MatchField {
    /// The SKU.
    Sku,
    /// The name.
    Name,
    /// The description or an attribute value.
    Details,
}

/// Why a product matched one query word: for highlighting and for saying
/// "read as …".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct WordMatch {
    /// The query word, folded (`sechskantschruabe`).
    pub query: String,
    /// How it matched.
    pub kind: MatchKind,
    /// Where.
    pub field: MatchField,
    /// The product's word as written there (`Sechskantschraube`, `DIN 933`).
    pub word: String,
    /// For the SKU and the name: where the matched letters start in that
    /// text, in characters (Unicode scalar values, not UTF-16 units).
    pub start: Option<u32>,
    /// How many characters to highlight from `start`: the typed beginning,
    /// the compound part, the corrected word.
    pub len: u32,
    /// What the query word was read as, folded: the inflection
    /// (`unterlegscheibe`), the correction (`sechskantschraube`, or the part
    /// `schraube`); `None` when it matched as typed.
    pub read_as: Option<String>,
    /// Edits of a typo correction (1 or 2), else 0.
    pub edits: u32,
}

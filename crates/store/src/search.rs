//! Full-text search for Chinese and English, with exactly the substring semantics of
//! [`SiteFilter::matches`](atlas_core::SiteFilter::matches).
//!
//! SQLite's FTS5 tokenizers do not fit Chinese: `unicode61` makes one token of a whole run of Han
//! characters, and `trigram` finds nothing for the 1- and 2-character words people type (石化,
//! 园区, 孵化). So the store makes the tokens itself, from `Site::search_text()` lowercased:
//!
//! - every CJK character (any non-ASCII letter or digit) → one token in column `uni`;
//! - every overlapping pair of CJK characters within a run → one token in column `bi`;
//! - every overlapping trigram of an ASCII letter/digit run → one token in column `tri`.
//!
//! Tokens are written as fixed-width hex code points (`石` → `0077f3`) or plain ASCII, so the
//! FTS5 `ascii` tokenizer reads them back unchanged whatever its Unicode tables say.
//!
//! A query term is cut into the same runs. Each run gives a constraint that any text containing
//! the term must meet: a 1-character CJK run its unigram; a longer CJK run the phrase of its
//! bigrams (consecutive, as they were written); an ASCII run of ≥ 3 characters the phrase of its
//! trigrams (so `chem` finds `petrochemical`: substring, not just prefix). Shorter ASCII runs and
//! other characters give none. The FTS match only narrows; every term is then checked with
//! `instr(search_text, term) > 0`, which decides. Hence the store returns exactly what
//! `SiteFilter::matches` accepts, and FTS keeps it fast whenever a term has a usable run.

/// The FTS5 columns of one site.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FtsDocument {
    /// One token per CJK character.
    pub uni: String,
    /// One token per overlapping CJK pair.
    pub bi: String,
    /// One token per overlapping ASCII trigram.
    pub tri: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Ascii,
    Cjk,
    Other,
}

fn class(c: char) -> Class {
    if c.is_ascii_alphanumeric() {
        Class::Ascii
    } else if !c.is_ascii() && c.is_alphanumeric() {
        Class::Cjk
    } else {
        Class::Other
    }
}

/// Maximal runs of ASCII or CJK characters (lowercase input expected).
fn runs(text: &str) -> Vec<(Class, Vec<char>)> {
    let mut out: Vec<(Class, Vec<char>)> = Vec::new();
    let mut prev = Class::Other;
    for c in text.chars() {
        let k = class(c);
        match (k, out.last_mut()) {
            (Class::Other, _) => {}
            (k, Some((last, run))) if k == prev && *last == k => run.push(c),
            (k, _) => out.push((k, vec![c])),
        }
        prev = k;
    }
    out
}

/// Appends `c` as six lowercase hex digits (every code point fits).
fn push_hex(out: &mut String, c: char) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let v = u32::from(c);
    for shift in [20, 16, 12, 8, 4, 0] {
        out.push(char::from(DIGITS[((v >> shift) & 0xf) as usize]));
    }
}

fn hex(c: char) -> String {
    let mut s = String::with_capacity(6);
    push_hex(&mut s, c);
    s
}

fn sep(out: &mut String) {
    if !out.is_empty() {
        out.push(' ');
    }
}

fn ascii_trigrams(run: &[char]) -> Vec<String> {
    run.windows(3).map(|w| w.iter().collect()).collect()
}

fn cjk_bigrams(run: &[char]) -> Vec<String> {
    run.windows(2)
        .map(|w| {
            let mut s = String::with_capacity(12);
            push_hex(&mut s, w[0]);
            push_hex(&mut s, w[1]);
            s
        })
        .collect()
}

/// Written between the bigrams of two runs: no bigram (12 hex digits) looks like it, so a
/// phrase of bigrams never spans two runs.
const BI_GAP: &str = "x";
/// Written between the trigrams of two runs (no trigram has two characters).
const TRI_GAP: &str = "xx";

/// The tokens of a (lowercased) search text.
pub fn document(text_lower: &str) -> FtsDocument {
    let mut d = FtsDocument::default();
    document_into(text_lower, &mut d);
    d
}

/// [`document`] into reused buffers (an import tokenises a million texts).
pub fn document_into(text_lower: &str, d: &mut FtsDocument) {
    d.uni.clear();
    d.bi.clear();
    d.tri.clear();
    // The class of the previous character, the length of the run it ends, and the last two
    // characters of that run.
    let mut kind = Class::Other;
    let mut run_len = 0usize;
    let (mut p2, mut p1) = ('\0', '\0');
    for c in text_lower.chars() {
        let k = class(c);
        if k != kind {
            kind = k;
            run_len = 0;
        }
        match k {
            Class::Cjk => {
                sep(&mut d.uni);
                push_hex(&mut d.uni, c);
                if run_len >= 1 {
                    if run_len == 1 && !d.bi.is_empty() {
                        sep(&mut d.bi);
                        d.bi.push_str(BI_GAP);
                    }
                    sep(&mut d.bi);
                    push_hex(&mut d.bi, p1);
                    push_hex(&mut d.bi, c);
                }
            }
            Class::Ascii => {
                if run_len >= 2 {
                    if run_len == 2 && !d.tri.is_empty() {
                        sep(&mut d.tri);
                        d.tri.push_str(TRI_GAP);
                    }
                    sep(&mut d.tri);
                    d.tri.push(p2);
                    d.tri.push(p1);
                    d.tri.push(c);
                }
            }
            Class::Other => {}
        }
        p2 = p1;
        p1 = c;
        run_len += 1;
    }
}

/// How a query's terms are searched.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchPlan {
    /// The FTS5 MATCH expression every text containing all terms satisfies, or `None` when no
    /// term has a run long enough to narrow the search.
    pub fts: Option<String>,
    /// The terms the MATCH does not decide exactly: each needs `instr(search_text, term) > 0`.
    pub check: Vec<String>,
}

/// The FTS constraint of one run of a term.
fn run_constraint(k: Class, run: &[char]) -> Option<String> {
    match k {
        Class::Cjk if run.len() == 1 => Some(format!("uni : \"{}\"", hex(run[0]))),
        Class::Cjk => Some(format!("bi : \"{}\"", cjk_bigrams(run).join(" "))),
        Class::Ascii if run.len() >= 3 => {
            Some(format!("tri : \"{}\"", ascii_trigrams(run).join(" ")))
        }
        _ => None,
    }
}

/// Plans the search of `terms` (lowercased, as [`SiteFilter::terms`](atlas_core::SiteFilter::terms)
/// gives them).
///
/// A term that is a single run (only CJK characters, or only ASCII letters and digits, at least
/// three of them) is decided by the MATCH alone: its occurrences in a text are exactly the
/// places where its unigram, or its bigrams (trigrams) stand consecutively within one run, which
/// is what the phrase asks. Any other term (`r&d`, `5g智慧`, `co`) is narrowed by whatever runs
/// it has and decided by `instr`.
pub fn plan(terms: &[String]) -> SearchPlan {
    let mut parts: Vec<String> = Vec::new();
    let mut check = Vec::new();
    for term in terms {
        let term_runs = runs(term);
        let whole = term_runs.len() == 1
            && term_runs
                .first()
                .is_some_and(|(_, r)| r.len() == term.chars().count());
        let mut exact = false;
        for (k, run) in &term_runs {
            if let Some(part) = run_constraint(*k, run) {
                exact = whole;
                if !parts.contains(&part) {
                    parts.push(part);
                }
            }
        }
        if !exact && !check.contains(term) {
            check.push(term.clone());
        }
    }
    SearchPlan {
        fts: (!parts.is_empty()).then(|| parts.join(" AND ")),
        check,
    }
}

/// The MATCH expression of [`plan`] alone.
pub fn match_expression(terms: &[String]) -> Option<String> {
    plan(terms).fts
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tokens as first written (runs collected, then tokenised): `document` must agree.
    fn document_by_runs(text_lower: &str) -> FtsDocument {
        let mut d = FtsDocument::default();
        for (k, run) in runs(text_lower) {
            match k {
                Class::Cjk => {
                    if run.len() > 1 && !d.bi.is_empty() {
                        sep(&mut d.bi);
                        d.bi.push_str(BI_GAP);
                    }
                    for (i, c) in run.iter().enumerate() {
                        sep(&mut d.uni);
                        push_hex(&mut d.uni, *c);
                        if i > 0 {
                            sep(&mut d.bi);
                            push_hex(&mut d.bi, run[i - 1]);
                            push_hex(&mut d.bi, *c);
                        }
                    }
                }
                Class::Ascii => {
                    if run.len() > 2 && !d.tri.is_empty() {
                        sep(&mut d.tri);
                        d.tri.push_str(TRI_GAP);
                    }
                    for w in run.windows(3) {
                        sep(&mut d.tri);
                        d.tri.extend(w);
                    }
                }
                Class::Other => {}
            }
        }
        d
    }

    #[test]
    fn streaming_tokeniser_agrees_with_runs() {
        let mut texts: Vec<String> = crate::synth::sites(3000, 3)
            .iter()
            .map(|s| s.search_text().to_lowercase())
            .collect();
        texts.extend(
            [
                "",
                "a",
                "ab",
                "abc",
                "石",
                "石化",
                "a石b化c",
                "ab石化cd高岭土efg",
                "x-y_z 5g智慧",
                "高岭 岭土 petro chem",
                "é石ü",
                "r&d 工程 ab cd",
            ]
            .map(String::from),
        );
        let mut d = FtsDocument::default();
        for t in &texts {
            document_into(t, &mut d);
            assert_eq!(d, document_by_runs(t), "{t}");
        }
    }

    #[test]
    fn han_runs_become_unigrams_and_bigrams() {
        let d = document("石化园 r&d chemical");
        assert_eq!(d.uni, "0077f3 005316 0056ed");
        assert_eq!(d.bi, "0077f3005316 0053160056ed");
        assert_eq!(d.tri, "che hem emi mic ica cal");
    }

    #[test]
    fn phrases_never_span_two_runs() {
        let d = document("高岭 岭土 petro chem");
        assert_eq!(d.bi, "009ad8005cad x 005cad00571f");
        assert_eq!(d.tri, "pet etr tro xx che hem");
    }

    #[test]
    fn single_run_terms_need_no_substring_check() {
        let t = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(plan(&t(&["石", "石化", "高岭土", "petro"]))
            .check
            .is_empty());
        assert_eq!(
            plan(&t(&["co", "r&d", "5g智慧", "石化"])).check,
            t(&["co", "r&d", "5g智慧"])
        );
        assert_eq!(plan(&t(&["co"])).fts, None);
    }

    #[test]
    fn query_terms_map_to_column_phrases() {
        let t = |s: &str| vec![s.to_string()];
        assert_eq!(
            match_expression(&t("石")).as_deref(),
            Some("uni : \"0077f3\"")
        );
        assert_eq!(
            match_expression(&t("石化")).as_deref(),
            Some("bi : \"0077f3005316\"")
        );
        assert_eq!(
            match_expression(&t("高岭土")).unwrap().matches(' ').count(),
            3
        );
        assert_eq!(
            match_expression(&t("chem")).as_deref(),
            Some("tri : \"che hem\"")
        );
        assert_eq!(match_expression(&t("5g")), None);
        assert_eq!(match_expression(&t("&")), None);
        assert_eq!(
            match_expression(&["r&d".into(), "石化".into()]).as_deref(),
            Some("bi : \"0077f3005316\"")
        );
    }
}

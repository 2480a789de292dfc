//! What `bank check` enforces so that the grader can do its job: phrases that an English answer can meet,
//! that do not restate the question, that are not too short or too generic alone, and that the question's own
//! model answer (and its strong evaluation answer, when there is one) actually state.

use std::collections::HashMap;

use aho_corasick::AhoCorasick;

use super::eval::EvalSet;
use super::normalize::{find_phrase, normalize};
use super::{Prepared, Reading};
use crate::bank::{Bank, Diagnostic, KeyPoint, Question};

/// A phrase found in more model answers than this (of other questions) is generic.
pub const GENERIC_IN: usize = 12;
/// A phrase shorter than this many characters is too short to stand alone.
const SHORTEST: usize = 3;

fn is_english(phrase: &str) -> bool {
    let t = normalize(phrase).text;
    t.chars().any(|c| c.is_ascii_alphabetic()) && t.chars().all(|c| c.is_ascii() || c == '&')
}

/// Symbols that carry the meaning of a phrase ("/ 之前", "before /") but that normalisation drops.
const MEANINGFUL_SYMBOLS: &[char] = &[
    '/', '*', '+', '#', '<', '>', '=', '|', '$', '@', '^', '~', '\\',
];

/// What a phrase part reads as when it loses a meaningful symbol (`/ 之后` reads `之后`, `except*` reads
/// `except`), if that matters: what is left is too short, or in a myth a plain word.
fn symbol_lost(part: &str, myth: bool) -> Option<String> {
    if !part.contains(MEANINGFUL_SYMBOLS) {
        return None;
    }
    let norm = normalize(part).text;
    // Nothing left, or a word or two of Chinese that says where without saying of what (`之后`, `前面`).
    let short = norm.is_empty()
        || !norm.is_ascii() && norm.chars().filter(|c| *c != ' ').count() < SHORTEST;
    // `except*` reads `except`, `import *` reads `import`: in a myth, the plain word states something else.
    let one_word = !norm.is_empty() && norm.chars().all(|c| c.is_ascii_alphanumeric());
    (short || myth && one_word).then_some(norm)
}

fn phrases_of(p: &KeyPoint) -> impl Iterator<Item = &String> {
    p.phrases.iter().chain(p.all.iter().flatten())
}

/// Checks a loaded bank (and the strong answers of an evaluation set, if given).
pub fn check(bank: &Bank, eval: Option<&EvalSet>) -> Vec<Diagnostic> {
    let mut d = Vec::new();
    let questions: Vec<_> = bank
        .questions()
        .iter()
        .filter(|q| !q.is_choice() && !q.points.is_empty())
        .collect();
    let models: Vec<String> = questions
        .iter()
        .map(|q| normalize(&q.answer).text)
        .collect();
    let in_models = models_containing(&questions, &models);
    for (qi, q) in questions.iter().enumerate() {
        let prepared = Prepared::new(q);
        let name = &q.id;
        let (model_covers, model_contradicts) = prepared.statements(&q.answer);
        let strong = eval
            .and_then(|e| e.get(&q.id))
            .and_then(|e| e.answers.get("strong"));
        let strong_covers = strong.map(|s| prepared.statements(s).0);
        for (i, p) in q.points.iter().enumerate() {
            let n = i + 1;
            let at = p.location.clone();
            let needs_more = !p.all.is_empty();
            if !p.phrases.iter().any(|x| is_english(x)) {
                d.push(Diagnostic::error(
                    at.clone(),
                    format!("{name}: key point {n} has no English phrase"),
                ));
            }
            for (g, group) in p.all.iter().enumerate() {
                if !group.iter().any(|x| is_english(x)) {
                    d.push(Diagnostic::error(
                        at.clone(),
                        format!(
                            "{name}: key point {n}, `all` group {}, has no English phrase",
                            g + 1
                        ),
                    ));
                }
            }
            // A phrase that loses its meaning with a symbol: alone and left too short, or in a myth (which
            // costs twice its point when stated, so it must say exactly what it means).
            let alone = phrases_of(p)
                .filter(|x| !x.contains('&'))
                .map(|x| (x, false));
            for (phrase, myth) in alone.chain(p.wrong.iter().map(|x| (x, true))) {
                for part in phrase.split('&') {
                    if let Some(read) = symbol_lost(part, myth) {
                        d.push(Diagnostic::error(
                            at.clone(),
                            format!(
                                "{name}: key point {n} phrase \"{phrase}\": \"{}\" reads as \"{read}\" (the grader ignores symbols such as / and *): name the symbol in words (斜杠, 星号, slash)",
                                part.trim()
                            ),
                        ));
                    }
                }
            }
            for phrase in phrases_of(p) {
                if Prepared::restates_question(q, phrase) {
                    d.push(Diagnostic::error(
                        at.clone(),
                        format!(
                            "{name}: key point {n} phrase \"{phrase}\" is in the question's own text, so it can give no credit"
                        ),
                    ));
                }
                let conjunction = phrase.contains('&');
                if conjunction || needs_more {
                    continue;
                }
                let norm = normalize(phrase).text;
                if norm.chars().filter(|c| *c != ' ').count() < SHORTEST {
                    d.push(Diagnostic::error(
                        at.clone(),
                        format!(
                            "{name}: key point {n} phrase \"{phrase}\" is too short to stand alone: write `{phrase} & …` or give the point an `all` group"
                        ),
                    ));
                    continue;
                }
                let elsewhere = in_models.get(&norm).copied().unwrap_or(0)
                    - usize::from(find_phrase(&models[qi], &norm).next().is_some());
                if elsewhere > GENERIC_IN {
                    d.push(Diagnostic::error(
                        at.clone(),
                        format!(
                            "{name}: key point {n} phrase \"{phrase}\" is generic (in {elsewhere} other model answers): pair it with a second concept (`{phrase} & …` or `all`)"
                        ),
                    ));
                }
            }
            if let Some(c) = model_contradicts.iter().find(|c| c.point == i) {
                d.push(Diagnostic::error(
                    at.clone(),
                    format!(
                        "{name}: the model answer states key point {n}'s wrong phrase \"{}\"",
                        c.said
                    ),
                ));
            }
            if !model_covers.contains(&i) {
                d.push(Diagnostic::error(
                    at.clone(),
                    format!(
                        "{name}: key point {n} (\"{}\") is not stated by the model answer (a phrase may be missing, negated or only in the question)",
                        p.text
                    ),
                ));
            }
            if let Some(covers) = &strong_covers
                && !covers.contains(&i)
            {
                d.push(Diagnostic::warning(
                    at.clone(),
                    format!(
                        "{name}: key point {n} (\"{}\") is not stated by the strong evaluation answer: add the phrase it used",
                        p.text
                    ),
                ));
            }
        }
    }
    d
}

/// For every single phrase of the bank (normalised): how many model answers contain it (as whole English
/// words). One Aho-Corasick pass over each model answer keeps this linear in the size of the bank.
fn models_containing(questions: &[&Question], models: &[String]) -> HashMap<String, usize> {
    let mut phrases: Vec<String> = questions
        .iter()
        .flat_map(|q| q.points.iter().flat_map(phrases_of))
        .filter(|p| !p.contains('&'))
        .map(|p| normalize(p).text)
        .filter(|p| !p.is_empty())
        .collect();
    phrases.sort();
    phrases.dedup();
    let Ok(automaton) = AhoCorasick::new(&phrases) else {
        return HashMap::new();
    };
    let is_word = |c: char| c.is_ascii_alphanumeric();
    let mut counts = vec![0usize; phrases.len()];
    let mut seen = vec![usize::MAX; phrases.len()];
    for (mi, model) in models.iter().enumerate() {
        for m in automaton.find_overlapping_iter(model) {
            let p = m.pattern().as_usize();
            let phrase = &phrases[p];
            let before = model[..m.start()].chars().next_back();
            let after = model[m.end()..].chars().next();
            let cut_word = (phrase.starts_with(is_word) && before.is_some_and(is_word))
                || (phrase.ends_with(is_word) && after.is_some_and(is_word));
            let whole = !cut_word;
            if whole && seen[p] != mi {
                seen[p] = mi;
                counts[p] += 1;
            }
        }
    }
    phrases.into_iter().zip(counts).collect()
}

/// Whether a text is a bare list of terms (exposed for the evaluation tools).
pub fn is_term_list(text: &str) -> bool {
    Reading::new(text, &[]).is_term_list()
}

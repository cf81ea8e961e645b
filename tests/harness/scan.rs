//! Scans stored data and logs for card data: a run of 12 or more digits in
//! any text, any number that parses as a card number, any field named like a
//! CVC, and in text a CVC word followed by a 3- or 4-digit value
//! ("cvc=123", "CVV: 4321"). Timestamps in milliseconds are 13-digit numbers
//! but never valid card numbers, so numbers are judged by the card rules;
//! a decline code such as `incorrect_cvc` names the check, not a value.

use serde_json::Value;
use shared::card::CardNumber;

/// Where in `value` card data appears; empty when none does.
pub fn card_data_in(value: &Value) -> Vec<String> {
    let mut findings = Vec::new();
    walk(value, "$", &mut findings);
    findings
}

/// Card data in free text (a log): 12+ digit runs and CVC words.
pub fn card_data_in_text(text: &str) -> Vec<String> {
    let mut findings = Vec::new();
    if let Some(run) = long_digit_run(text) {
        findings.push(format!(
            "a run of 12 or more digits, in \"{}\"",
            masked_excerpt(text, run)
        ));
    }
    let lower = text.to_lowercase();
    for word in ["cvc", "cvv"] {
        for (at, _) in lower.match_indices(word) {
            let after = &lower[at + word.len()..];
            let value = after.trim_start_matches([' ', '=', ':', '"']);
            let digits = value.chars().take_while(char::is_ascii_digit).count();
            let word_start = at == 0 || !lower[..at].ends_with(|c: char| c.is_ascii_alphanumeric());
            let value_ends = !value[digits..].starts_with(|c: char| c.is_ascii_alphanumeric());
            if word_start && value_ends && (3..=4).contains(&digits) {
                findings.push(format!("a {word} value"));
            }
        }
    }
    findings
}

fn walk(value: &Value, path: &str, findings: &mut Vec<String>) {
    match value {
        Value::String(text) => {
            for finding in card_data_in_text(text) {
                findings.push(format!("{path}: {finding}"));
            }
        }
        Value::Number(number) => {
            let digits = number.to_string();
            if (12..=19).contains(&digits.len()) && CardNumber::parse(&digits).is_ok() {
                findings.push(format!("{path}: a number that is a valid card number"));
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                walk(item, &format!("{path}[{index}]"), findings);
            }
        }
        Value::Object(fields) => {
            for (key, item) in fields {
                let lower = key.to_lowercase();
                if lower.contains("cvc") || lower.contains("cvv") {
                    findings.push(format!("{path}.{key}: a CVC field"));
                }
                walk(item, &format!("{path}.{key}"), findings);
            }
        }
        Value::Null | Value::Bool(_) => {}
    }
}

/// Characters of text shown on each side of a finding, digits masked.
const EXCERPT_CHARS: usize = 60;

/// The shortest run of digits a log may not hold: the shortest card number.
const DIGIT_RUN_MIN: usize = 12;

/// Where the first run of `DIGIT_RUN_MIN` or more ASCII digits lies, in
/// bytes.
fn long_digit_run(text: &str) -> Option<std::ops::Range<usize>> {
    let mut start = None;
    for (at, character) in text.char_indices() {
        if character.is_ascii_digit() {
            let first = *start.get_or_insert(at);
            if at + 1 - first >= DIGIT_RUN_MIN {
                let end = text[at..]
                    .find(|c: char| !c.is_ascii_digit())
                    .map_or(text.len(), |length| at + length);
                return Some(first..end);
            }
        } else {
            start = None;
        }
    }
    None
}

/// The text around `run`, every digit shown as `#`, so that a report of a
/// finding names where it was without repeating the card data.
fn masked_excerpt(text: &str, run: std::ops::Range<usize>) -> String {
    let before: String = text[..run.start]
        .chars()
        .rev()
        .take(EXCERPT_CHARS)
        .collect();
    let after = text[run.end..].chars().take(EXCERPT_CHARS);
    before
        .chars()
        .rev()
        .chain(text[run].chars())
        .chain(after)
        .map(|c| if c.is_ascii_digit() { '#' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{card_data_in, card_data_in_text};

    #[test]
    fn finds_card_numbers_and_cvcs_but_not_timestamps() {
        assert!(
            card_data_in(&json!({"created_at_ms": 1_764_163_200_000_u64, "id": "acct.ada"}))
                .is_empty()
        );
        assert!(!card_data_in(&json!({"note": "card 4242424242424242"})).is_empty());
        assert!(!card_data_in(&json!({"pan": 4_242_424_242_424_242_u64})).is_empty());
        assert!(!card_data_in(&json!({"card_cvc": "123"})).is_empty());
        assert!(!card_data_in(&json!(["the CVV: 123"])).is_empty());
        assert!(!card_data_in(&json!(["cvc=4321"])).is_empty());
        assert!(card_data_in(&json!({"fingerprint": "aBcVcX_9-cvc123Q"})).is_empty());
        assert!(card_data_in(&json!({"decline_code": "incorrect_cvc"})).is_empty());
    }

    #[test]
    fn a_digit_run_in_a_log_is_reported_where_it_is_without_its_digits() {
        let findings = card_data_in_text("ok 12 345\npaid with 4242424242424242 (visa) at 10:01");
        assert_eq!(
            findings,
            [
                "a run of 12 or more digits, in \"ok ## ###\npaid with ################ (visa) at ##:##\""
            ]
        );
        assert!(card_data_in_text("12345678901 and 1234-5678-9012").is_empty());
        assert_eq!(card_data_in_text("é123456789012").len(), 1);
    }
}

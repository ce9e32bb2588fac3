//! What a valid account is: email, nickname and password rules (the checks Django applied,
//! so the old front's users meet the same rules), and the email key used for uniqueness.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use crate::fields::{check_text, FieldErrors};
use crate::wire::JoinRequest;

pub const MIN_PASSWORD_CHARS: usize = 8;
pub const MAX_PASSWORD_CHARS: usize = 128;
pub const MAX_NICKNAME_CHARS: usize = 30;
pub const MAX_EMAIL_CHARS: usize = 254;

/// Django's `CommonPasswordValidator` list (20,000 passwords, BSD licence, shipped with Django).
static COMMON_PASSWORDS: LazyLock<HashSet<&'static str>> = LazyLock::new(|| include_str!("../data/common-passwords.txt").lines().collect());

/// A join request that passed every rule; the password is still plain text, to be hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccount {
    pub email: String,
    pub nickname: String,
    pub password: String,
}

/// Emails are unique case-insensitively: this is the key that uniqueness is checked on.
pub fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Checks a join request and reports every problem at once, per field.
pub fn validate_join(request: &JoinRequest) -> Result<NewAccount, FieldErrors> {
    let mut errors = FieldErrors::new();
    let email = request.email.trim();
    check_text(&mut errors, "email", email, MAX_EMAIL_CHARS);
    if errors.get("email").is_none() && !email_address::EmailAddress::is_valid(email) {
        errors.add("email", "Enter a valid email address.");
    }
    let nickname = request.nickname.trim();
    check_text(&mut errors, "nickname", nickname, MAX_NICKNAME_CHARS);
    if nickname.chars().any(char::is_control) {
        errors.add("nickname", "Nickname may not contain control characters.");
    }
    if request.password1 != request.password2 {
        errors.add("password2", "The two password fields didn't match.");
    }
    for problem in password_problems(&request.password1, &[("email", email), ("nickname", nickname)]) {
        errors.add("password1", problem);
    }
    errors.finish(NewAccount { email: email.to_owned(), nickname: nickname.to_owned(), password: request.password1.clone() })
}

/// Django's four default password validators, with their messages.
/// `attributes` are the user's other fields (name, value) the password must not resemble.
pub fn password_problems(password: &str, attributes: &[(&str, &str)]) -> Vec<String> {
    let mut problems = Vec::new();
    let length = password.chars().count();
    if length < MIN_PASSWORD_CHARS {
        problems.push(format!("This password is too short. It must contain at least {MIN_PASSWORD_CHARS} characters."));
    }
    if length > MAX_PASSWORD_CHARS {
        problems.push(format!("Ensure this field has no more than {MAX_PASSWORD_CHARS} characters."));
    }
    if COMMON_PASSWORDS.contains(password.trim().to_lowercase().as_str()) {
        problems.push("This password is too common.".to_owned());
    }
    if !password.is_empty() && password.chars().all(|c| c.is_ascii_digit()) {
        problems.push("This password is entirely numeric.".to_owned());
    }
    for (name, value) in attributes {
        if too_similar(password, value) {
            problems.push(format!("The password is too similar to the {name}."));
        }
    }
    problems
}

/// Django's `UserAttributeSimilarityValidator`: the value and each of its word parts are
/// compared with difflib's `quick_ratio` (a multiset overlap bound) at 0.7.
fn too_similar(password: &str, value: &str) -> bool {
    const MAX_SIMILARITY: f64 = 0.7;
    let password = password.to_lowercase();
    let value = value.to_lowercase();
    if value.is_empty() {
        return false;
    }
    let parts = value.split(|c: char| !c.is_alphanumeric() && c != '_').filter(|part| !part.is_empty());
    std::iter::once(value.as_str())
        .chain(parts)
        .any(|part| !exceeds_length_ratio(&password, MAX_SIMILARITY, part) && quick_ratio(&password, part) >= MAX_SIMILARITY)
}

/// Django skips values so short relative to the password that they cannot be "similar".
fn exceeds_length_ratio(password: &str, max_similarity: f64, value: &str) -> bool {
    let password_len = password.chars().count();
    let value_len = value.chars().count();
    password_len >= 10 * value_len && (value_len as f64) < max_similarity / 2.0 * password_len as f64
}

fn quick_ratio(a: &str, b: &str) -> f64 {
    let total = a.chars().count() + b.chars().count();
    if total == 0 {
        return 1.0;
    }
    let mut available: HashMap<char, usize> = HashMap::new();
    for c in b.chars() {
        *available.entry(c).or_default() += 1;
    }
    let matches = a
        .chars()
        .filter(|c| match available.get_mut(c) {
            Some(n) if *n > 0 => {
                *n -= 1;
                true
            }
            _ => false,
        })
        .count();
    2.0 * matches as f64 / total as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn join(email: &str, nickname: &str, p1: &str, p2: &str) -> JoinRequest {
        JoinRequest { email: email.into(), nickname: nickname.into(), password1: p1.into(), password2: p2.into() }
    }

    #[test]
    fn accepts_a_reasonable_account() {
        let account = validate_join(&join(" Mina@Example.com ", "미나", "달빛산책-2024", "달빛산책-2024")).unwrap();
        assert_eq!(account.email, "Mina@Example.com");
        assert_eq!(email_key(&account.email), "mina@example.com");
    }

    #[test]
    fn reports_each_django_rule() {
        let problems = password_problems("1234567", &[]);
        assert!(problems.iter().any(|p| p.contains("too short")));
        assert!(problems.iter().any(|p| p.contains("too common")));
        assert!(problems.iter().any(|p| p.contains("entirely numeric")));
        assert!(password_problems("password", &[]).iter().any(|p| p.contains("too common")));
        let similar = password_problems("minalee77", &[("email", "minalee77@example.com")]);
        assert_eq!(similar, vec!["The password is too similar to the email.".to_owned()]);
    }

    #[test]
    fn collects_all_field_errors_at_once() {
        let errors = validate_join(&join("not-an-email", " ", "short", "other")).unwrap_err();
        assert!(errors.get("email").is_some());
        assert!(errors.get("nickname").is_some());
        assert!(errors.get("password1").is_some());
        assert!(errors.get("password2").is_some());
    }
}

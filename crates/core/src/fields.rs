//! Per-field validation messages, as the API reports them under `"fields"`.

use std::collections::BTreeMap;

/// Validation messages keyed by field name, in the shape DRF used: `{"email": ["…"]}`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(BTreeMap<String, Vec<String>>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.entry(field.to_owned()).or_default().push(message.into());
    }

    pub fn single(field: &str, message: impl Into<String>) -> Self {
        let mut errors = Self::new();
        errors.add(field, message);
        errors
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn get(&self, field: &str) -> Option<&[String]> {
        self.0.get(field).map(Vec::as_slice)
    }

    pub fn into_map(self) -> BTreeMap<String, Vec<String>> {
        self.0
    }

    /// `Ok(value)` when nothing was recorded, so validators can end with `errors.finish(v)`.
    pub fn finish<T>(self, value: T) -> Result<T, FieldErrors> {
        if self.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }

    /// One sentence naming the first problem, for the `detail` of a 400.
    pub fn summary(&self) -> String {
        match self.0.iter().next() {
            Some((field, messages)) => format!("{field}: {}", messages.join(" ")),
            None => "Invalid input.".to_owned(),
        }
    }
}

/// Checks a required text field: present, not blank, at most `max_chars` characters.
pub fn check_text(errors: &mut FieldErrors, field: &str, value: &str, max_chars: usize) {
    if value.trim().is_empty() {
        errors.add(field, "This field may not be blank.");
    } else if value.chars().count() > max_chars {
        errors.add(field, format!("Ensure this field has no more than {max_chars} characters."));
    }
}

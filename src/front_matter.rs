//! Front matter: the TOML at the top of each page, checked against its kind's declared fields.
//!
//! The TOML is parsed with spans (`toml::de::DeTable`), so a wrong type or an unknown field is
//! reported at its own line and column, not at the top of the block. Every field is checked and
//! every problem reported; a page with errors yields `None` and takes no further part.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::ops::Range;

use serde_json::{Map, Value};
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::config::{self, FieldConfig, FieldType};
use crate::diag::{did_you_mean, Diagnostic, Diagnostics};
use crate::load::SourceFile;

/// The declared fields a page may carry: the built-in ones merged with its kind's.
pub type Schema = BTreeMap<String, FieldConfig>;

/// Builds the schema for pages of `kind` (`None` for section pages and plain pages).
pub fn schema_for(kind: Option<&config::KindConfig>) -> Schema {
    let mut schema: Schema = config::builtin_fields()
        .into_iter()
        .map(|(name, field)| (name.to_string(), field))
        .collect();
    if let Some(kind) = kind {
        for (name, field) in &kind.fields {
            schema.insert(name.clone(), field.clone());
        }
    }
    schema
}

/// A reference from this page to another page by id, through a reference field.
#[derive(Debug, Clone)]
pub struct Reference {
    pub field: String,
    /// The kind the id must belong to.
    pub kind: String,
    pub id: String,
    /// Where the id is written, in the file's bytes.
    pub span: Range<usize>,
}

/// A page's checked front matter.
#[derive(Debug, Clone, Default)]
pub struct FrontMatter {
    pub title: String,
    pub id: Option<String>,
    pub draft: bool,
    pub order: Option<i64>,
    pub date: Option<String>,
    pub updated: Option<String>,
    pub description: Option<String>,
    pub tags: Vec<String>,
    pub aliases: Vec<String>,
    /// Every field, typed, for templates (dates as `YYYY-MM-DD` strings).
    pub fields: Map<String, Value>,
    pub references: Vec<Reference>,
}

/// Parses and checks the front matter of `source` against `schema`.
///
/// Always returns the fields that were valid, even when others were not: the page stays in the
/// site (under its file-name id), so links and references to it do not fail in a cascade of
/// follow-on errors. The errors pushed to `diags` stop the build before anything is rendered.
pub fn parse(
    source: &SourceFile,
    kind_name: &str,
    schema: &Schema,
    diags: &mut Diagnostics,
) -> FrontMatter {
    let offset = source.front_matter.start;
    let table = match DeTable::parse(source.front_matter_text()) {
        Ok(table) => table,
        Err(err) => {
            diags.push(config::toml_error(
                &err,
                &source.display_path,
                &source.text,
                offset,
            ));
            return FrontMatter::default();
        }
    };
    let mut checker = Checker {
        source,
        offset,
        kind_name,
        errors: Vec::new(),
    };
    let front = checker.check(table.get_ref(), schema);
    diags.extend(checker.errors);
    front
}

struct Checker<'a> {
    source: &'a SourceFile,
    offset: usize,
    kind_name: &'a str,
    errors: Vec<Diagnostic>,
}

impl Checker<'_> {
    fn span(&self, span: Range<usize>) -> Range<usize> {
        self.offset + span.start..self.offset + span.end
    }

    fn error(&mut self, message: String, span: Range<usize>, hint: Option<String>) {
        let span = self.span(span);
        self.error_at(message, span, hint);
    }

    /// An error at a span of the whole file rather than of the front matter.
    fn error_at(&mut self, message: String, span: Range<usize>, hint: Option<String>) {
        self.errors.push(
            Diagnostic::error(message)
                .at(&self.source.display_path, &self.source.text, span)
                .with_hint_opt(hint),
        );
    }

    fn check(&mut self, table: &DeTable<'_>, schema: &Schema) -> FrontMatter {
        let mut front = FrontMatter::default();
        for (key, value) in table {
            let name = key.get_ref().as_ref();
            let Some(field) = schema.get(name) else {
                let hint = did_you_mean(name, schema.keys().map(String::as_str))
                    .map(|s| format!("did you mean `{s}`?"))
                    .or_else(|| {
                        Some(format!(
                            "fields of a {}: {}",
                            self.kind_name,
                            schema.keys().cloned().collect::<Vec<_>>().join(", ")
                        ))
                    });
                self.error(
                    format!("unknown field `{name}` for a {}", self.kind_name),
                    key.span(),
                    hint,
                );
                continue;
            };
            if let Some(json) = self.check_value(name, field, value) {
                if let Some(target) = &field.references {
                    self.collect_references(name, target, value, &mut front.references);
                }
                front.fields.insert(name.to_string(), json);
            }
        }
        for (name, field) in schema {
            if field.required && !table.contains_key(name.as_str()) {
                let message = format!("missing required field `{name}` for a {}", self.kind_name);
                // `flywheel new` writes required fields commented out: point at the comment.
                match self.commented_out(name) {
                    Some(span) => self.error_at(
                        message,
                        span,
                        Some("fill in the value and remove the `# ` in front of it".into()),
                    ),
                    None => {
                        let example = example_value(field);
                        self.error_at(
                            message,
                            0..3,
                            Some(format!("add `{name} = {example}` to the front matter")),
                        );
                    }
                }
            }
        }
        self.fill_builtins(&mut front);
        front
    }

    /// The span of a `# name = ...` line in the front matter, if there is one.
    fn commented_out(&self, name: &str) -> Option<Range<usize>> {
        let text = self.source.front_matter_text();
        let mut pos = 0;
        for line in text.split_inclusive('\n') {
            let rest = line.trim_start().strip_prefix('#').map(str::trim_start);
            let names_field = rest
                .and_then(|r| r.strip_prefix(name))
                .is_some_and(|r| r.trim_start().starts_with('='));
            if names_field {
                let start = self.offset + pos + (line.len() - line.trim_start().len());
                return Some(start..self.offset + pos + line.trim_end().len());
            }
            pos += line.len();
        }
        None
    }

    fn fill_builtins(&self, front: &mut FrontMatter) {
        let text = |k: &str| {
            front
                .fields
                .get(k)
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        front.title = text("title").unwrap_or_default();
        front.id = text("id");
        front.description = text("description");
        front.date = text("date");
        front.updated = text("updated");
        front.draft = front
            .fields
            .get("draft")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        front.order = front.fields.get("order").and_then(Value::as_i64);
        let strings = |k: &str| -> Vec<String> {
            front
                .fields
                .get(k)
                .and_then(Value::as_array)
                .map(|list| {
                    list.iter()
                        .filter_map(|t| t.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        };
        front.tags = strings("tags");
        front.aliases = strings("aliases");
    }

    /// Checks one value against its declared type; `None` (with an error pushed) if it is wrong.
    fn check_value(
        &mut self,
        name: &str,
        field: &FieldConfig,
        value: &Spanned<DeValue<'_>>,
    ) -> Option<Value> {
        let json = self.check_type(name, field.kind, value)?;
        match field.kind {
            FieldType::List => self.check_list(name, field, value),
            FieldType::Enum => {
                let text = value.get_ref().as_str().unwrap_or_default();
                if field.values.iter().any(|v| v == text) {
                    Some(json)
                } else {
                    let hint = did_you_mean(text, field.values.iter().map(String::as_str))
                        .map(|s| format!("did you mean `{s}`?"))
                        .or_else(|| Some(format!("choose one of: {}", field.values.join(", "))));
                    self.error(
                        format!("`{text}` is not an allowed value of `{name}`"),
                        value.span(),
                        hint,
                    );
                    None
                }
            }
            FieldType::String | FieldType::Text if field.required && json.as_str() == Some("") => {
                self.error(format!("field `{name}` is empty"), value.span(), None);
                None
            }
            _ => Some(json),
        }
    }

    fn check_list(
        &mut self,
        name: &str,
        field: &FieldConfig,
        value: &Spanned<DeValue<'_>>,
    ) -> Option<Value> {
        let items = value.get_ref().as_array()?;
        let item_type = field.item_type();
        let mut out = Vec::with_capacity(items.len());
        let mut ok = true;
        for item in items.iter() {
            match self.check_type(name, item_type, item) {
                Some(json) => out.push(json),
                None => ok = false,
            }
        }
        let count = items.len();
        if let Some(min) = field.min.filter(|&min| count < min) {
            let s = if min == 1 { "" } else { "s" };
            self.error(
                format!("`{name}` needs at least {min} item{s}, found {count}"),
                value.span(),
                None,
            );
            ok = false;
        }
        if let Some(max) = field.max.filter(|&max| count > max) {
            self.error(
                format!("`{name}` allows at most {max} items, found {count}"),
                value.span(),
                None,
            );
            ok = false;
        }
        ok.then_some(Value::Array(out))
    }

    /// Checks the shape of a value and converts it to JSON.
    fn check_type(
        &mut self,
        name: &str,
        expected: FieldType,
        value: &Spanned<DeValue<'_>>,
    ) -> Option<Value> {
        let found = value.get_ref();
        let converted = match (expected, found) {
            (FieldType::String | FieldType::Text | FieldType::Enum, DeValue::String(s)) => {
                Some(Value::String(s.to_string()))
            }
            (FieldType::Integer, DeValue::Integer(i)) => i64::from_str_radix(i.as_str(), i.radix())
                .ok()
                .map(Value::from),
            (FieldType::Bool, DeValue::Boolean(b)) => Some(Value::Bool(*b)),
            (FieldType::Date, DeValue::Datetime(dt)) if dt.date.is_some() => Some(Value::String(
                dt.date.map(|d| d.to_string()).unwrap_or_default(),
            )),
            (FieldType::Date, DeValue::String(s)) => {
                return match parse_date(s) {
                    Some(date) => Some(Value::String(date)),
                    None => {
                        self.error(
                            format!("`{name}` must be a date like 2014-11-06, found \"{s}\""),
                            value.span(),
                            None,
                        );
                        None
                    }
                };
            }
            (FieldType::List, DeValue::Array(_)) => Some(Value::Null),
            (FieldType::Table, DeValue::Table(t)) => Some(table_to_json(t)),
            _ => None,
        };
        if converted.is_none() {
            let hint = match (expected, found) {
                (FieldType::List, DeValue::String(s)) => {
                    Some(format!("write a list: `{name} = [\"{s}\"]`"))
                }
                (FieldType::Integer, DeValue::String(s)) if s.trim().parse::<i64>().is_ok() => {
                    Some(format!("remove the quotes: `{name} = {}`", s.trim()))
                }
                _ => None,
            };
            self.error(
                format!(
                    "`{name}` must be {}, found {}",
                    article(expected),
                    describe(found)
                ),
                value.span(),
                hint,
            );
        }
        converted
    }

    fn collect_references(
        &self,
        field: &str,
        target: &str,
        value: &Spanned<DeValue<'_>>,
        out: &mut Vec<Reference>,
    ) {
        let mut push = |v: &Spanned<DeValue<'_>>| {
            if let Some(id) = v.get_ref().as_str() {
                out.push(Reference {
                    field: field.to_string(),
                    kind: target.to_string(),
                    id: id.to_string(),
                    span: self.span(v.span()),
                });
            }
        };
        match value.get_ref() {
            DeValue::Array(items) => items.iter().for_each(&mut push),
            _ => push(value),
        }
    }
}

/// Accepts `YYYY-MM-DD`, optionally followed by a time, and returns the date part.
fn parse_date(s: &str) -> Option<String> {
    let date = s.get(..10)?;
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(date, &format).ok()?;
    let rest = &s[10..];
    (rest.is_empty() || rest.starts_with(['T', ' '])).then(|| date.to_string())
}

fn article(t: FieldType) -> &'static str {
    match t {
        FieldType::String | FieldType::Enum => "a string",
        FieldType::Text => "a text string",
        FieldType::Integer => "an integer",
        FieldType::Date => "a date",
        FieldType::Bool => "true or false",
        FieldType::List => "a list",
        FieldType::Table => "a table",
    }
}

fn describe(v: &DeValue<'_>) -> &'static str {
    match v {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a decimal number",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date",
        DeValue::Array(_) => "a list",
        DeValue::Table(_) => "a table",
    }
}

fn example_value(field: &FieldConfig) -> String {
    match field.kind {
        FieldType::String | FieldType::Text => "\"...\"".into(),
        FieldType::Integer => "1".into(),
        FieldType::Date => "2024-01-31".into(),
        FieldType::Bool => "true".into(),
        FieldType::Enum => format!("\"{}\"", field.values.first().map_or("", String::as_str)),
        FieldType::List => match field.item_type() {
            FieldType::Table => "[{ title = \"...\" }]".into(),
            _ => "[\"...\"]".into(),
        },
        FieldType::Table => "{ title = \"...\" }".into(),
    }
}

fn table_to_json(table: &DeTable<'_>) -> Value {
    let map = table
        .iter()
        .map(|(k, v)| (k.get_ref().to_string(), value_to_json(v.get_ref())))
        .collect();
    Value::Object(map)
}

fn value_to_json(value: &DeValue<'_>) -> Value {
    match value {
        DeValue::String(s) => Value::String(Cow::to_string(s)),
        DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
            .map(Value::from)
            .unwrap_or(Value::Null),
        DeValue::Float(f) => f
            .as_str()
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or(Value::Null, Value::Number),
        DeValue::Boolean(b) => Value::Bool(*b),
        DeValue::Datetime(dt) => Value::String(dt.to_string()),
        DeValue::Array(items) => {
            Value::Array(items.iter().map(|v| value_to_json(v.get_ref())).collect())
        }
        DeValue::Table(t) => table_to_json(t),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_accept_a_time_suffix_only() {
        assert_eq!(parse_date("2014-11-06"), Some("2014-11-06".into()));
        assert_eq!(
            parse_date("2014-11-06T10:00:00Z"),
            Some("2014-11-06".into())
        );
        assert_eq!(parse_date("2014-13-06"), None);
        assert_eq!(parse_date("2014-11-067"), None);
        assert_eq!(parse_date("é"), None);
    }
}

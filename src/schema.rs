//! The kinds' front matter, described for people and tools: a JSON Schema per kind (written by
//! every build under `schemas/`) and the field tables of CONTRIBUTING.md. Both come from the
//! same declarations the build enforces, so they cannot drift from it.

use serde_json::{json, Map, Value};

use crate::config::{builtin_fields, FieldConfig, FieldType, SiteConfig, PLAIN_KIND};
use crate::front_matter::schema_for;

/// Page ids by kind, so reference fields can list the ids they accept (editors complete them).
pub type KnownIds = std::collections::BTreeMap<String, Vec<String>>;

/// The JSON Schema (draft 2020-12) of one kind's front matter (`page` for plain pages).
pub fn kind_schema(config: &SiteConfig, kind: &str, ids: &KnownIds) -> Value {
    let fields = schema_for(config.kinds.get(kind));
    let mut properties = Map::new();
    let mut required = Vec::new();
    for (name, field) in &fields {
        let mut schema = field_schema(field);
        if let Some(known) = field.references.as_ref().and_then(|k| ids.get(k)) {
            let target = if field.kind == FieldType::List {
                &mut schema["items"]
            } else {
                &mut schema
            };
            target["enum"] = json!(known);
        }
        properties.insert(name.clone(), schema);
        if field.required {
            required.push(Value::String(name.clone()));
        }
    }
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": format!("Front matter of a {}", config.kind_label(kind).to_lowercase()),
        "type": "object",
        "additionalProperties": false,
        "required": required,
        "properties": properties,
    })
}

fn field_schema(field: &FieldConfig) -> Value {
    let mut schema = type_schema(field.kind, field);
    if let Value::Object(map) = &mut schema {
        if let Some(description) = &field.description {
            map.insert("description".into(), Value::String(description.clone()));
        }
        if field.kind == FieldType::List {
            map.insert("items".into(), type_schema(field.item_type(), field));
            if let Some(min) = field.min {
                map.insert("minItems".into(), min.into());
            }
            if let Some(max) = field.max {
                map.insert("maxItems".into(), max.into());
            }
        }
    }
    schema
}

fn type_schema(kind: FieldType, field: &FieldConfig) -> Value {
    match kind {
        FieldType::String | FieldType::Text => {
            json!({ "type": "string", "minLength": u8::from(field.required) })
        }
        FieldType::Integer => json!({ "type": "integer" }),
        FieldType::Bool => json!({ "type": "boolean" }),
        FieldType::Date => json!({ "type": "string", "format": "date" }),
        FieldType::Enum => json!({ "type": "string", "enum": field.values }),
        FieldType::List => json!({ "type": "array" }),
        FieldType::Table => json!({ "type": "object" }),
    }
}

/// The schemas of every kind and of plain pages, as (file name, JSON text).
pub fn all_schemas(config: &SiteConfig, ids: &KnownIds) -> Vec<(String, String)> {
    config
        .kinds
        .keys()
        .map(String::as_str)
        .chain([PLAIN_KIND])
        .map(|kind| {
            let text =
                serde_json::to_string_pretty(&kind_schema(config, kind, ids)).unwrap_or_default();
            (format!("schemas/{kind}.json"), text + "\n")
        })
        .collect()
}

/// The Markdown tables of every kind's fields, for CONTRIBUTING.md.
pub fn fields_markdown(config: &SiteConfig) -> String {
    let mut out = String::new();
    let builtins = builtin_fields();
    for (name, kind) in &config.kinds {
        out.push_str(&format!(
            "### {} (`flywheel new {name} \"Title\"`)\n\nFolder `content/{}/`",
            config.kind_label(name),
            kind.folder
        ));
        if !kind.headings.is_empty() {
            let sections: Vec<String> = kind.headings.iter().map(|h| format!("`## {h}`")).collect();
            let must = if kind.require_headings {
                "must have the sections"
            } else {
                "starts with the sections"
            };
            out.push_str(&format!("; a page {must} {}", sections.join(", ")));
        }
        out.push_str(".\n\n| field | type | required | what it is |\n|---|---|---|---|\n");
        out.push_str("| `title` | string | yes | The page title. |\n");
        for (field_name, field) in &kind.fields {
            out.push_str(&format!(
                "| `{field_name}` | {} | {} | {} |\n",
                type_words(field),
                if field.required { "yes" } else { "no" },
                field.description.as_deref().unwrap_or("")
            ));
        }
        out.push('\n');
    }
    let common: Vec<String> = builtins
        .keys()
        .filter(|k| **k != "title")
        .map(|k| format!("`{k}`"))
        .collect();
    out.push_str(&format!(
        "Every page may also set {} (see the README).\n",
        common.join(", ")
    ));
    out
}

fn type_words(field: &FieldConfig) -> String {
    let base = match field.kind {
        FieldType::List => {
            let item = match (field.item_type(), &field.references) {
                (_, Some(kind)) => format!("{kind} ids"),
                (FieldType::Table, None) => "tables".into(),
                (other, None) => format!("{}s", other.name()),
            };
            let bounds = match (field.min, field.max) {
                (Some(min), Some(max)) => format!(", {min} to {max}"),
                (Some(min), None) => format!(", at least {min}"),
                (None, Some(max)) => format!(", at most {max}"),
                (None, None) => String::new(),
            };
            format!("list of {item}{bounds}")
        }
        FieldType::Enum => format!(
            "one of {}",
            field
                .values
                .iter()
                .map(|v| format!("`{v}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        FieldType::String if field.references.is_some() => {
            format!("{} id", field.references.as_deref().unwrap_or(""))
        }
        other => other.name().to_string(),
    };
    base
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_mirrors_the_declaration() {
        let config = SiteConfig::parse(
            "title = \"x\"\n[kinds.case-study]\nfolder = \"cs\"\n[kinds.case-study.fields]\nyear = { type = \"integer\", required = true }\noutcome = { type = \"enum\", values = [\"success\", \"failure\"] }\n",
        )
        .expect("config");
        let schema = kind_schema(&config, "case-study", &KnownIds::new());
        assert_eq!(schema["required"], json!(["title", "year"]));
        assert_eq!(
            schema["properties"]["outcome"]["enum"],
            json!(["success", "failure"])
        );
        assert_eq!(schema["additionalProperties"], json!(false));
    }
}

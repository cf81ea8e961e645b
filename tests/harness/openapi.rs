//! OpenAPI conformance: every answer the journeys receive from a documented
//! route is checked against `gateway-worker/api/openapi.json` (the schema
//! of that route's status, or its `default`). Answers are recorded by
//! `api::read`; `check_recorded` runs after the journeys.

use std::sync::Mutex;

use serde_json::{Value, json};

/// An answer seen on the wire.
struct Seen {
    path: String,
    status: u16,
    body: String,
}

static SEEN: Mutex<Vec<Seen>> = Mutex::new(Vec::new());

pub fn record(path: &str, status: u16, body: &str) {
    if let Ok(mut seen) = SEEN.lock() {
        seen.push(Seen {
            path: path.to_owned(),
            status,
            body: body.to_owned(),
        });
    }
}

fn document() -> Value {
    let path = crate::workspace_root().join("gateway-worker/api/openapi.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("read openapi.json"))
        .expect("openapi.json is JSON")
}

/// The documented path template a concrete path matches, if any.
fn template_for<'a>(templates: impl Iterator<Item = &'a String>, path: &str) -> Option<&'a String> {
    let segments: Vec<&str> = path.split('/').collect();
    templates.into_iter().find(|template| {
        let parts: Vec<&str> = template.split('/').collect();
        parts.len() == segments.len()
            && parts
                .iter()
                .zip(&segments)
                .all(|(part, segment)| part.starts_with('{') || part == segment)
    })
}

/// What the document says of a request body for the operation at
/// `template`: the schema's errors for `body` (empty when it conforms).
pub fn request_errors(template: &str, body: &Value) -> Vec<String> {
    let document = document();
    let Some(schema) = document["paths"][template]
        .as_object()
        .and_then(|methods| methods.values().next())
        .and_then(|operation| operation.pointer("/requestBody/content/application~1json/schema"))
    else {
        return vec![format!("{template} documents no JSON request body")];
    };
    let mut rooted = schema.clone();
    if let Value::Object(fields) = &mut rooted {
        fields.insert("components".to_owned(), document["components"].clone());
    }
    match jsonschema::draft202012::new(&rooted) {
        Ok(validator) => validator
            .iter_errors(body)
            .map(|error| error.to_string())
            .collect(),
        Err(error) => vec![format!("{template}: the schema does not compile: {error}")],
    }
}

/// Checks every recorded answer of a documented route; answers the
/// failures, and prints how many answers and operations were covered.
/// With `expect_answers` (a full run), checking none is a failure too.
pub fn check_recorded(expect_answers: bool) -> Vec<String> {
    let document = document();
    let paths = document["paths"].as_object().cloned().unwrap_or_default();
    let seen = SEEN
        .lock()
        .map(|mut seen| std::mem::take(&mut *seen))
        .unwrap_or_default();
    let mut failures = Vec::new();
    let mut checked = 0;
    let mut covered = std::collections::BTreeSet::new();
    for answer in &seen {
        let Some(template) = template_for(paths.keys(), &answer.path) else {
            continue;
        };
        let operations = &paths[template];
        // Each documented path has one method; its responses apply.
        let Some(operation) = operations
            .as_object()
            .and_then(|methods| methods.values().next())
        else {
            continue;
        };
        let status = answer.status.to_string();
        let response = operation["responses"]
            .get(&status)
            .or_else(|| operation["responses"].get("default"));
        let Some(response) = response else {
            failures.push(format!(
                "{} answered {status}, which is not documented",
                answer.path
            ));
            continue;
        };
        covered.insert(format!("{template} {status}"));
        let Some(schema) = response.pointer("/content/application~1json/schema") else {
            continue;
        };
        let mut rooted = schema.clone();
        if let Value::Object(fields) = &mut rooted {
            fields.insert("components".to_owned(), document["components"].clone());
        }
        let validator = match jsonschema::draft202012::new(&rooted) {
            Ok(validator) => validator,
            Err(error) => {
                failures.push(format!(
                    "{template} {status}: the schema does not compile: {error}"
                ));
                continue;
            }
        };
        let body: Value = serde_json::from_str(&answer.body).unwrap_or(json!(null));
        checked += 1;
        let errors: Vec<String> = validator
            .iter_errors(&body)
            .map(|error| error.to_string())
            .collect();
        if !errors.is_empty() {
            failures.push(format!("{} {status}: {}", answer.path, errors.join("; ")));
        }
    }
    if expect_answers && checked == 0 {
        failures.push("no answer of a documented route was checked".to_owned());
    }
    println!(
        "openapi: {checked} answers checked against the document; {} of its route/status pairs seen",
        covered.len()
    );
    failures
}

#[cfg(test)]
mod tests {
    use super::{document, template_for};

    #[test]
    fn every_link_leads_to_an_operation_with_its_parameters() {
        // The document's links chain quote → pay → order → receipt → back
        // office and payment → confirm → after-sale; each must name an
        // operation that exists and fill only parameters it has.
        let document = document();
        let mut operations = std::collections::BTreeMap::new();
        for item in document["paths"].as_object().unwrap().values() {
            for operation in item.as_object().unwrap().values() {
                if let Some(id) = operation["operationId"].as_str() {
                    operations.insert(id.to_owned(), operation.clone());
                }
            }
        }
        let mut links = 0;
        for item in document["paths"].as_object().unwrap().values() {
            for operation in item.as_object().unwrap().values() {
                for response in operation["responses"].as_object().unwrap().values() {
                    let Some(named) = response["links"].as_object() else {
                        continue;
                    };
                    for link in named.values() {
                        links += 1;
                        let target = link["operationId"].as_str().unwrap();
                        let Some(target) = operations.get(target) else {
                            panic!("a link names no operation: {target}");
                        };
                        let parameters: Vec<&str> = target["parameters"]
                            .as_array()
                            .map(|list| list.iter().filter_map(|p| p["name"].as_str()).collect())
                            .unwrap_or_default();
                        for name in link["parameters"].as_object().unwrap().keys() {
                            assert!(parameters.contains(&name.as_str()), "{name} of {link}");
                        }
                    }
                }
            }
        }
        assert!(links >= 20, "the document links its operations ({links})");
    }

    #[test]
    fn concrete_paths_match_their_templates() {
        let templates = [
            "/api/orders/{order_id}".to_owned(),
            "/api/quotes".to_owned(),
        ];
        assert_eq!(
            template_for(templates.iter(), "/api/orders/ord_1"),
            Some(&templates[0])
        );
        assert_eq!(
            template_for(templates.iter(), "/api/quotes"),
            Some(&templates[1])
        );
        assert_eq!(template_for(templates.iter(), "/api/orders"), None);
        assert_eq!(
            template_for(templates.iter(), "/api/operator/banks/x"),
            None
        );
    }
}

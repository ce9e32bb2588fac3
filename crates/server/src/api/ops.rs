//! Operations: the health check, and the OpenAPI document with its two viewers.

use fyd_core::wire::Health;
use poem::web::Query;
use poem::{handler, Response};
use poem_openapi::OpenApi;
use serde::Deserialize;

use super::json::Json;
use super::ApiTags;

pub struct OpsApi;

#[OpenApi(tag = "ApiTags::Operations")]
impl OpsApi {
    /// Liveness check
    #[oai(path = "/healthz", method = "get", operation_id = "healthz")]
    async fn healthz(&self) -> Json<Health> {
        Json(Health { status: "ok".to_owned() })
    }
}

/// The OpenAPI document, rendered once at start-up.
#[derive(Clone)]
pub struct Spec {
    pub json: String,
    pub yaml: String,
}

#[derive(Deserialize)]
pub struct FormatQuery {
    format: Option<String>,
}

#[handler]
pub fn schema(poem::web::Data(spec): poem::web::Data<&Spec>, Query(query): Query<FormatQuery>) -> Response {
    match query.format.as_deref() {
        Some("yaml") => Response::builder().content_type("application/yaml").body(spec.yaml.clone()),
        _ => Response::builder().content_type("application/json").body(spec.json.clone()),
    }
}

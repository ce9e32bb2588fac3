//! `Json<T>`: a JSON body parsed and written by serde, documented by poem-openapi; and
//! `EncodedJson<T>`: a body already encoded, written as it is.
//!
//! Parsing enforces what the contract promises for every body: at most 64 KiB counted on the
//! bytes actually read (chunked bodies without `Content-Length` too), a JSON content type,
//! well-formed UTF-8 JSON, an object at the top, and per-field messages for missing fields
//! and wrong types.

use std::marker::PhantomData;

use bytes::Bytes;
use fyd_core::FieldErrors;
use poem::http::StatusCode;
use poem::{IntoResponse, Request, RequestBody, Response};
use poem_openapi::registry::{MetaMediaType, MetaRequest, MetaResponse, MetaResponses, MetaSchemaRef, Registry};
use poem_openapi::types::Type;
use poem_openapi::{payload::Payload, ApiExtractor, ApiExtractorType, ApiResponse, ExtractParamOptions};
use serde::{de::DeserializeOwned, Serialize};
use tokio::io::AsyncReadExt;

use super::error::ApiError;

pub const MAX_BODY_BYTES: usize = 64 * 1024;

pub struct Json<T>(pub T);

impl<T: Type + Send> Payload for Json<T> {
    const CONTENT_TYPE: &'static str = "application/json";

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T: Serialize + Send> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        match serde_json::to_vec(&self.0) {
            Ok(body) => Response::builder().content_type("application/json").body(body),
            Err(_) => poem::error::ResponseError::as_response(&ApiError::internal()),
        }
    }
}

impl<T: Type + Serialize + Send> ApiResponse for Json<T> {
    fn meta() -> MetaResponses {
        ok_meta::<T>()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

/// A body that already is the JSON encoding of a `T` (stored courses), written as it is and
/// documented as `T`: the read paths skip a decode and an encode per course.
pub struct EncodedJson<T> {
    body: Bytes,
    _documented_as: PhantomData<fn() -> T>,
}

impl<T> EncodedJson<T> {
    /// `json` must be what serde_json writes for a `T`; the store guarantees it for courses.
    pub fn new(json: Bytes) -> Self {
        Self { body: json, _documented_as: PhantomData }
    }
}

impl<T> EncodedJson<Vec<T>> {
    /// The JSON array of already encoded items.
    pub fn array<'a>(items: impl ExactSizeIterator<Item = &'a [u8]> + Clone) -> Self {
        let mut body = Vec::with_capacity(2 + items.len() + items.clone().map(<[u8]>::len).sum::<usize>());
        body.push(b'[');
        for (i, item) in items.enumerate() {
            if i > 0 {
                body.push(b',');
            }
            body.extend_from_slice(item);
        }
        body.push(b']');
        Self::new(body.into())
    }
}

impl<T: Type> Payload for EncodedJson<T> {
    const CONTENT_TYPE: &'static str = "application/json";

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T> IntoResponse for EncodedJson<T> {
    fn into_response(self) -> Response {
        Response::builder().content_type("application/json").body(self.body)
    }
}

impl<T: Type> ApiResponse for EncodedJson<T> {
    fn meta() -> MetaResponses {
        ok_meta::<T>()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

fn ok_meta<T: Type>() -> MetaResponses {
    MetaResponses {
        responses: vec![MetaResponse {
            description: "OK",
            status: Some(200),
            status_range: None,
            content: vec![MetaMediaType { content_type: "application/json", schema: T::schema_ref() }],
            headers: vec![],
        }],
    }
}

impl<'a, T: Type + DeserializeOwned + Send> ApiExtractor<'a> for Json<T> {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::RequestObject];
    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        T::register(registry);
    }

    fn request_meta() -> Option<MetaRequest> {
        Some(MetaRequest {
            description: None,
            content: vec![MetaMediaType { content_type: "application/json", schema: T::schema_ref() }],
            required: true,
        })
    }

    async fn from_request(
        request: &'a Request,
        body: &mut RequestBody,
        _param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        Ok(Json(parse_body(request, body).await?))
    }
}

/// A JSON body whose parse result goes to the handler instead of failing the request, for
/// endpoints that must shape every error themselves (the recommendation's rate-limit headers).
pub struct Parsed<T>(pub Result<T, ApiError>);

impl<'a, T: Type + DeserializeOwned + Send> ApiExtractor<'a> for Parsed<T> {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::RequestObject];
    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        T::register(registry);
    }

    fn request_meta() -> Option<MetaRequest> {
        <Json<T> as ApiExtractor>::request_meta()
    }

    async fn from_request(
        request: &'a Request,
        body: &mut RequestBody,
        _param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        Ok(Parsed(parse_body(request, body).await))
    }
}

async fn parse_body<T: Type + DeserializeOwned>(request: &Request, body: &mut RequestBody) -> Result<T, ApiError> {
    if let Some(content_type) = request.content_type() {
        if !is_json(content_type) {
            return Err(ApiError::bad_request(
                "unsupported_media_type",
                format!("Send the body as JSON (Content-Type: application/json), not {content_type}."),
            ));
        }
    }
    let declared = request.headers().get("content-length").and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|len| len > MAX_BODY_BYTES as u64) {
        return Err(too_large());
    }
    let bytes = read_limited(body).await?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request("malformed_json", "The request body is empty; send a JSON object."));
    }
    let value: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|err| ApiError::bad_request("malformed_json", format!("The body is not valid JSON: {err}.")))?;
    let Some(object) = value.as_object() else {
        return Err(ApiError::bad_request("malformed_json", "The body must be a JSON object."));
    };
    // As DRF did: a documented field may be absent but not null. Unknown keys stay ignored.
    // The schema is only looked up in the rare body that holds a null at all.
    if object.values().any(serde_json::Value::is_null) {
        let mut nulls = FieldErrors::new();
        for (field, _) in schema_of::<T>().map(|schema| schema.properties).unwrap_or_default() {
            if object.get(field).is_some_and(serde_json::Value::is_null) {
                nulls.add(field, "This field may not be null.");
            }
        }
        nulls.finish(()).map_err(ApiError::invalid)?;
    }
    serde_path_to_error::deserialize(&value).map_err(|err| ApiError::invalid(field_errors::<T>(&value, err)))
}

fn is_json(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

fn too_large() -> ApiError {
    ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", format!("The body is larger than {} KiB.", MAX_BODY_BYTES / 1024))
}

async fn read_limited(body: &mut RequestBody) -> Result<Vec<u8>, ApiError> {
    let Ok(body) = body.take() else {
        return Ok(Vec::new());
    };
    let mut bytes = Vec::new();
    body.into_async_read()
        .take(MAX_BODY_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .await
        .map_err(|_| ApiError::bad_request("malformed_body", "The request body could not be read."))?;
    if bytes.len() > MAX_BODY_BYTES {
        return Err(too_large());
    }
    Ok(bytes)
}

/// Turns serde's first error into per-field messages; a missing field reports every
/// required field that is missing, as DRF did.
fn field_errors<T: Type>(value: &serde_json::Value, err: serde_path_to_error::Error<serde_json::Error>) -> FieldErrors {
    let path = err.path().to_string();
    let message = err.into_inner().to_string();
    if path == "." && message.starts_with("missing field") {
        let mut errors = FieldErrors::new();
        for field in required_fields::<T>() {
            if value.get(field).is_none() {
                errors.add(field, "This field is required.");
            }
        }
        if !errors.is_empty() {
            return errors;
        }
    }
    let field = path.split(['.', '[']).find(|s| !s.is_empty()).unwrap_or("non_field_errors");
    let message = message.split(" at line ").next().unwrap_or(&message).to_owned();
    FieldErrors::single(field, message)
}

fn required_fields<T: Type>() -> Vec<&'static str> {
    schema_of::<T>().map(|schema| schema.required).unwrap_or_default()
}

/// The documented schema of `T` (flattened fields included).
fn schema_of<T: Type>() -> Option<poem_openapi::registry::MetaSchema> {
    let mut registry = Registry::new();
    T::register(&mut registry);
    registry.schemas.remove(T::name().as_ref())
}

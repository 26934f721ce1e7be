//! Users (admins only): `GET /users`, `POST /users` (the token is in the answer, once),
//! `DELETE /users/{name}` (revoke); and `GET /auth/me` (any valid token).

use super::JsonBody;
use super::{to_json, Req, JSON};
use crate::server::auth::{Admin, Authenticated};
use crate::server::error::{ApiError, ApiResult};
use atlas_store::{Role, User};
use axum::extract::Path;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

fn no_store(status: StatusCode, body: Vec<u8>) -> Response {
    (
        status,
        [(CONTENT_TYPE, JSON), (CACHE_CONTROL, "no-store")],
        body,
    )
        .into_response()
}

/// A user as listed (never the token or its hash).
#[derive(Debug, Serialize, ToSchema)]
pub struct UserBody {
    /// Name.
    pub name: String,
    /// `editor` or `admin`.
    #[schema(value_type = String)]
    pub role: Role,
    /// When added (RFC 3339, UTC).
    pub created_at: String,
    /// When revoked (`null`: active).
    pub revoked_at: Option<String>,
}

impl From<User> for UserBody {
    fn from(u: User) -> Self {
        Self {
            name: u.name,
            role: u.role,
            created_at: u.created_at,
            revoked_at: u.revoked_at,
        }
    }
}

/// Every user.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserList {
    /// By name.
    pub users: Vec<UserBody>,
}

/// The users.
#[utoipa::path(
    get,
    path = "/api/v1/users",
    tag = "users",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every user, by name.", body = UserList),
        super::openapi::AdminOnly,
    )
)]
pub async fn list(Admin(_): Admin, req: Req) -> ApiResult<Response> {
    req.no_params()?;
    let users = req.state.db.read(|s| Ok(s.users()?)).await?;
    let body = UserList {
        users: users.into_iter().map(UserBody::from).collect(),
    };
    Ok(no_store(StatusCode::OK, to_json(&body)?))
}

/// The body of `POST /users`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    /// 1–40 ASCII letters, digits, `_` or `-`.
    pub name: String,
    /// `editor` or `admin`.
    pub role: String,
}

/// A new user and their token.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedUser {
    /// Name.
    pub name: String,
    /// Role.
    #[schema(value_type = String)]
    pub role: Role,
    /// When added.
    pub created_at: String,
    /// The bearer token: shown this once, stored only as a hash.
    pub token: String,
}

/// Adds a user; the answer holds their token, once.
#[utoipa::path(
    post,
    path = "/api/v1/users",
    tag = "users",
    security(("bearer" = [])),
    request_body(content = NewUser, content_type = "application/json"),
    responses(
        (status = 201, description = "The user and their token (not shown again).", body = CreatedUser),
        super::openapi::AdminOnly,
        (status = 409, description = "`conflict`: the name is taken.", body = super::openapi::ErrorBody),
        (status = 422, description = "`invalid_user`: a name or role that is not allowed.", body = super::openapi::ErrorBody),
    )
)]
pub async fn add(Admin(_): Admin, req: Req, JsonBody(body): JsonBody) -> ApiResult<Response> {
    req.no_params()?;
    let body: NewUser = serde_json::from_value(body).map_err(|e| {
        ApiError::InvalidJson(format!(
            "the body must be {{\"name\": \"…\", \"role\": \"editor\" or \"admin\"}}: {e}"
        ))
    })?;
    let role: Role = body.role.parse().map_err(ApiError::from)?;
    atlas_store::users::check_name(&body.name)?;
    let name = body.name.clone();
    let (token, hash) = tokio::task::spawn_blocking(move || crate::app::tokens::new_token(&name))
        .await
        .map_err(|e| ApiError::internal(format!("making a token failed: {e}")))?
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let user = req
        .state
        .db
        .write(move |s| Ok(s.add_user(&body.name, role, &hash)?))
        .await?;
    let out = CreatedUser {
        name: user.name,
        role: user.role,
        created_at: user.created_at,
        token,
    };
    Ok(no_store(StatusCode::CREATED, to_json(&out)?))
}

/// Revokes a user's token.
#[utoipa::path(
    delete,
    path = "/api/v1/users/{name}",
    tag = "users",
    security(("bearer" = [])),
    params(("name" = String, Path, description = "User name.")),
    responses(
        (status = 204, description = "Revoked (at once; revoking twice changes nothing)."),
        super::openapi::AdminOnly,
        (status = 404, description = "`not_found`", body = super::openapi::ErrorBody),
    )
)]
pub async fn revoke(Admin(_): Admin, req: Req, name: Path<String>) -> ApiResult<Response> {
    req.no_params()?;
    let Path(name) = name;
    req.state
        .db
        .write(move |s| Ok(s.revoke_user(&name)?))
        .await?;
    req.state.auth.forget();
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Who a token belongs to.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    /// User name.
    pub name: String,
    /// `editor` or `admin`.
    #[schema(value_type = String)]
    pub role: Role,
}

/// The user of the token sent (the page's sign-in check).
#[utoipa::path(
    get,
    path = "/api/v1/auth/me",
    tag = "users",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The token's user.", body = Me),
        (status = 401, description = "`unauthorized`: no token, or one that is not valid or revoked.",
            body = super::openapi::ErrorBody),
        (status = 429, description = "`too_many_attempts`", body = super::openapi::ErrorBody),
    )
)]
pub async fn me(Authenticated(c): Authenticated, req: Req) -> ApiResult<Response> {
    req.no_params()?;
    Ok(no_store(
        StatusCode::OK,
        to_json(&Me {
            name: c.name,
            role: c.role,
        })?,
    ))
}

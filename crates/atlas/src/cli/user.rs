//! `atlas user add | list | revoke`: who may write through the API.

use anyhow::{Context as _, Result};
use clap::{Subcommand, ValueEnum};
use std::path::Path;
use std::process::ExitCode;

/// `atlas user` subcommands.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user; prints their token once (only a hash is stored).
    Add {
        /// 1–40 ASCII letters, digits, '_' or '-' (e.g. zhang_san).
        name: String,
        /// What the user may do.
        #[arg(long, value_enum)]
        role: RoleArg,
    },
    /// List users: name, role, created, revoked (never tokens or hashes).
    List,
    /// Revoke a user's token (at once, also for a running server).
    Revoke {
        /// User name.
        name: String,
    },
}

/// `--role` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RoleArg {
    /// Creates, changes, deletes, restores, reverts, verifies and imports sites.
    Editor,
    /// An editor who also manages users and chains.
    Admin,
}

pub fn run(db: &Path, command: &UserCommand) -> Result<ExitCode> {
    match command {
        UserCommand::Add { name, role } => add(db, name, *role),
        UserCommand::List => list(db),
        UserCommand::Revoke { name } => revoke(db, name),
    }
}

fn add(db: &Path, name: &str, role: RoleArg) -> Result<ExitCode> {
    atlas_store::users::check_name(name)?;
    let mut store = super::open_existing(db)?;
    let role = match role {
        RoleArg::Editor => atlas_store::Role::Editor,
        RoleArg::Admin => atlas_store::Role::Admin,
    };
    let (token, hash) = crate::app::tokens::new_token(name).context("making a token")?;
    let user = store.add_user(name, role, &hash)?;
    eprintln!(
        "已添加用户 added user '{}' ({}). 令牌只显示这一次，请妥善保管 The token is shown this \
         once and stored only as a hash; keep it secret. Use it as 'Authorization: Bearer TOKEN' \
         (or sign in with it on the map page):",
        user.name, user.role
    );
    // The token alone on standard output, for scripts.
    println!("{token}");
    Ok(ExitCode::SUCCESS)
}

fn list(db: &Path) -> Result<ExitCode> {
    let store = super::open_existing(db)?;
    let users = store.users()?;
    if users.is_empty() {
        println!(
            "没有用户 no users yet: add the first admin with `atlas user add NAME --role admin`"
        );
        return Ok(ExitCode::SUCCESS);
    }
    let mut table = comfy_table::Table::new();
    table
        .load_preset(comfy_table::presets::UTF8_FULL_CONDENSED)
        .set_header(vec![
            "用户 name",
            "角色 role",
            "创建 created",
            "吊销 revoked",
        ]);
    for u in users {
        table.add_row(vec![
            u.name,
            u.role.to_string(),
            u.created_at,
            u.revoked_at.unwrap_or_default(),
        ]);
    }
    println!("{table}");
    Ok(ExitCode::SUCCESS)
}

fn revoke(db: &Path, name: &str) -> Result<ExitCode> {
    let mut store = super::open_existing(db)?;
    let user = store.revoke_user(name)?;
    println!(
        "已吊销 revoked '{}' at {}: its token no longer works (a running server refuses it at \
         once)",
        user.name,
        user.revoked_at.unwrap_or_default()
    );
    Ok(ExitCode::SUCCESS)
}

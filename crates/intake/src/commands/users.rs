//! `intake users`: the server's users, their roles and API tokens, from the command line
//! (the first admin, scripts' tokens, a forgotten password).

use std::io::BufRead;

use anyhow::{Context, bail};
use intake_server::auth::{digest, hash_password, new_token, random_password};
use intake_server::control::Role;
use intake_server::state::{App, bootstrap_workspace};

use crate::Outcome;
use crate::args::{Global, RoleArg, UsersAction, UsersArgs};
use crate::render::table;

fn role(r: RoleArg) -> Role {
    match r {
        RoleArg::Viewer => Role::Viewer,
        RoleArg::Importer => Role::Importer,
        RoleArg::Manager => Role::Manager,
        RoleArg::Admin => Role::Admin,
    }
}

fn password(from_stdin: bool) -> anyhow::Result<(String, bool)> {
    if !from_stdin {
        return Ok((random_password(), true));
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let p = line.trim_end_matches(['\r', '\n']).to_string();
    if p.chars().count() < 8 {
        bail!("the password needs at least 8 characters");
    }
    Ok((p, false))
}

pub fn run(global: &Global, args: &UsersArgs) -> anyhow::Result<Outcome> {
    let config = super::serve::config(
        global,
        &crate::args::ServerOptions {
            files: None,
            storage: None,
            lease_seconds: 30,
            smtp: None,
            mail_from: String::new(),
            public_url: None,
        },
    )?;
    let app = App::open(config).context("cannot open the server's database")?;
    let home = bootstrap_workspace(&app).context("cannot register the workspace")?;
    let control = &app.control;
    let user = |name: &str| -> anyhow::Result<intake_server::control::User> {
        control.user_by_name(name)?.with_context(|| {
            format!("there is no user `{name}`\nhint: `intake users list` shows them")
        })
    };
    match &args.action {
        UsersAction::List => {
            let mut rows = Vec::new();
            for u in control.users()? {
                let roles: Vec<String> = control
                    .memberships(&u)?
                    .into_iter()
                    .map(|(w, r)| format!("{w}: {}", r.as_str()))
                    .collect();
                rows.push(vec![
                    u.username.clone(),
                    u.email.clone().unwrap_or_default(),
                    if u.server_admin {
                        "server admin".into()
                    } else {
                        String::new()
                    },
                    roles.join(", "),
                ]);
            }
            print!("{}", table(&["USER", "E-MAIL", "", "ROLES"], &rows));
        }
        UsersAction::Add {
            name,
            role: r,
            in_workspace,
            email,
            server_admin,
            password_stdin,
        } => {
            intake_server::api::session::check_username(name).map_err(anyhow::Error::msg)?;
            if control.user_by_name(name)?.is_some() {
                bail!(
                    "a user named `{name}` exists already\nhint: `intake users password {name}` sets a new password"
                );
            }
            let (pw, generated) = password(*password_stdin)?;
            let u = control.create_user(
                name,
                email.as_deref(),
                Some(&hash_password(&pw)?),
                *server_admin,
            )?;
            let ws = in_workspace.clone().unwrap_or(home.clone());
            if let Some(r) = r {
                if control.workspace(&ws)?.is_none() {
                    bail!("there is no workspace `{ws}`");
                }
                control.set_role(&u.id, &ws, role(*r))?;
            }
            eprintln!(
                "created user `{name}`{}",
                r.map(|r| format!(" ({} in `{ws}`)", role(r).as_str()))
                    .unwrap_or_default()
            );
            if generated {
                println!("{pw}");
                eprintln!("(the password above is shown once)");
            }
        }
        UsersAction::Role {
            name,
            role: r,
            in_workspace,
        } => {
            let u = user(name)?;
            let ws = in_workspace.clone().unwrap_or(home.clone());
            if control.workspace(&ws)?.is_none() {
                bail!("there is no workspace `{ws}`");
            }
            control.set_role(&u.id, &ws, role(*r))?;
            eprintln!("`{name}` is now {} in `{ws}`", role(*r).as_str());
        }
        UsersAction::Password {
            name,
            password_stdin,
        } => {
            let u = user(name)?;
            let (pw, generated) = password(*password_stdin)?;
            control.set_password(&u.id, &hash_password(&pw)?)?;
            eprintln!("set a new password for `{name}`; their sessions have ended");
            if generated {
                println!("{pw}");
            }
        }
        UsersAction::Token { name, label } => {
            let u = user(name)?;
            let token = new_token();
            control.create_token(&digest(&token), &u.id, label)?;
            println!("{token}");
            eprintln!(
                "(a token for `{name}`, shown once: send it as `Authorization: Bearer TOKEN`)"
            );
        }
    }
    Ok(Outcome::Ok)
}

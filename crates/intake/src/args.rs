//! Command-line arguments. The command names and flags follow the product design and are
//! relied on by scripts: add, never rename.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// intake: bulk data import done right.
///
/// Templates, column mapping, validation with the row, column and value of every problem,
/// and imports of CSV files into a workspace's records.
#[derive(Debug, Parser)]
#[command(
    name = "intake",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command accepts.
#[derive(Debug, Args)]
pub struct Global {
    /// The workspace folder (holds intake.toml)
    #[arg(
        long,
        global = true,
        env = "INTAKE_WORKSPACE",
        default_value = ".",
        value_name = "DIR"
    )]
    pub workspace: PathBuf,
    /// The database: `sqlite://PATH`, or
    /// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?schema=NAME]` (the workspace's tables
    /// in one PostgreSQL schema, by default named after the workspace's folder); default:
    /// intake.db in the workspace.
    #[arg(long, global = true, env = "INTAKE_DATABASE_URL", value_name = "URL")]
    pub database: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a workspace: writes DIR/intake.toml (a demo schema or a starter)
    Init(InitArgs),
    /// Show what intake reads in a file: encoding, delimiter, header, every row as text
    Inspect(InspectArgs),
    /// List the record types of the workspace
    Types(TypesArgs),
    /// Describe a record type's fields: type, required, format, allowed values
    Describe(DescribeArgs),
    /// Write a record type's template to fill in a spreadsheet
    Template(TemplateArgs),
    /// Check a file against a record type and report every problem (writes nothing)
    Validate(ValidateArgs),
    /// Import a file into the workspace's database.
    Import(ImportArgs),
    /// Export records in template layout (for bulk edits and re-import).
    Export(ExportArgs),
    /// List, show and revert imports.
    Imports(ImportsArgs),
    /// Serve the HTTP API (and run imports in the background) for the workspace
    Serve(ServeArgs),
    /// Run import workers without serving HTTP (beside `intake serve --workers 0`)
    Worker(WorkerArgs),
    /// Manage the server's users, their roles and API tokens
    Users(UsersArgs),
}

/// What the server and workers share.
#[derive(Debug, Args)]
pub struct ServerOptions {
    /// Where uploads and result files are kept (several servers and workers must share it);
    /// default: .intake/files in the workspace.
    #[arg(long, env = "INTAKE_FILES", value_name = "DIR")]
    pub files: Option<PathBuf>,
    /// Keep uploads and result files in an S3-compatible bucket instead, `s3://BUCKET[/PREFIX]`
    /// (the files directory then only caches copies in use); endpoint and credentials from
    /// AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.
    #[arg(long, env = "INTAKE_STORAGE", value_name = "s3://BUCKET[/PREFIX]")]
    pub storage: Option<String>,
    /// How long a worker holds an import before another may take it over, in seconds
    /// (renewed every second while it runs).
    #[arg(
        long,
        env = "INTAKE_LEASE_SECONDS",
        default_value = "30",
        value_name = "S"
    )]
    pub lease_seconds: u64,
    /// SMTP server for notification mail, `smtp://HOST:PORT`.
    #[arg(long, env = "INTAKE_SMTP_URL", value_name = "URL")]
    pub smtp: Option<String>,
    /// The sender of notification mail.
    #[arg(
        long,
        env = "INTAKE_MAIL_FROM",
        default_value = "intake@localhost",
        value_name = "ADDRESS"
    )]
    pub mail_from: String,
    /// The server's address as users reach it, for links in notifications.
    #[arg(long, env = "INTAKE_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(
        long,
        env = "INTAKE_ADDR",
        default_value = "127.0.0.1:8080",
        value_name = "HOST:PORT"
    )]
    pub addr: std::net::SocketAddr,
    /// Import workers in this process (0: none; run `intake worker` beside it).
    #[arg(long, default_value = "1", value_name = "N")]
    pub workers: usize,
    /// The largest upload accepted, in MB.
    #[arg(
        long,
        env = "INTAKE_MAX_UPLOAD_MB",
        default_value = "1024",
        value_name = "MB"
    )]
    pub max_upload_mb: u64,
    /// Session cookies only over HTTPS (set it behind a TLS proxy).
    #[arg(long)]
    pub secure_cookies: bool,
    #[command(flatten)]
    pub server: ServerOptions,
}

#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// Import workers (threads) in this process.
    #[arg(long, default_value = "1", value_name = "N")]
    pub workers: usize,
    #[command(flatten)]
    pub server: ServerOptions,
}

#[derive(Debug, Args)]
pub struct UsersArgs {
    #[command(subcommand)]
    pub action: UsersAction,
}

/// A workspace role.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RoleArg {
    /// Reads types, records, imports.
    Viewer,
    /// Uploads, maps, validates, submits.
    Importer,
    /// Approves, deletes, reverts.
    Manager,
    /// Manages the workspace.
    Admin,
}

#[derive(Debug, Subcommand)]
pub enum UsersAction {
    /// Every user with their roles.
    List,
    /// Create a user; prints the generated password (or reads one from stdin).
    Add {
        /// Login name.
        name: String,
        /// Their role in the workspace.
        #[arg(long, value_enum)]
        role: Option<RoleArg>,
        /// The workspace for --role, by name (default: the one in the workspace folder).
        #[arg(long = "in", value_name = "WORKSPACE")]
        in_workspace: Option<String>,
        /// Where notifications go.
        #[arg(long)]
        email: Option<String>,
        /// May create workspaces and users, and is admin everywhere.
        #[arg(long)]
        server_admin: bool,
        /// Read the password from the first line of stdin instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Give a user a role in a workspace.
    Role {
        /// Login name.
        name: String,
        /// The role.
        #[arg(value_enum)]
        role: RoleArg,
        /// The workspace, by name (default: the one in the workspace folder).
        #[arg(long = "in", value_name = "WORKSPACE")]
        in_workspace: Option<String>,
    },
    /// Set a new password; prints the generated one (or reads one from stdin).
    Password {
        /// Login name.
        name: String,
        /// Read the password from the first line of stdin.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Create an API token for a user; prints it once.
    Token {
        /// Login name.
        name: String,
        /// What the token is for.
        #[arg(long, default_value = "cli")]
        label: String,
    },
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The record type to import into.
    #[arg(value_name = "TYPE")]
    pub record_type: String,
    /// The CSV file.
    pub file: PathBuf,
    #[command(flatten)]
    pub options: ImportOptions,
    /// What to do with rows that have problems: abort writes nothing if any row fails;
    /// skip writes the valid rows. Default: the workspace's `on_error`, else abort.
    #[arg(long, value_enum)]
    pub on_error: Option<OnError>,
    /// Update sheets: write `[new]` even when the record changed since the export.
    #[arg(long)]
    pub force: bool,
    /// Write the failing rows here (your layout and text, plus an error column): CSV or XLSX
    /// by the name's extension; without one, XLSX when the file imported is a workbook.
    /// Workspaces with `response = true` write them next to the file (`F.csv` ->
    /// `F.response.csv`, `F.xlsx` -> `F.response.xlsx`).
    #[arg(long, value_name = "FILE")]
    pub response: Option<PathBuf>,
    /// Write the written rows here, with the UUIDs they got (CSV or XLSX, as --response).
    #[arg(long, value_name = "FILE")]
    pub success: Option<PathBuf>,
    /// Print the result as one JSON document.
    #[arg(long)]
    pub json: bool,
    /// At most this many problems are printed (all are in --response and --json).
    #[arg(long, value_name = "N", default_value = "50")]
    pub limit: usize,
    /// Test hook: kill the process at a named point of the import (crash-safety tests).
    #[arg(long, value_name = "POINT", hide = true, env = "INTAKE_CRASH_AT")]
    pub crash_at: Option<String>,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The record type to export.
    #[arg(value_name = "TYPE")]
    pub record_type: String,
    /// Which records, e.g. `country = DE and annual_revenue > 1000` (see docs/filters.md).
    #[arg(long, value_name = "EXPR", default_value = "")]
    pub filter: String,
    /// Export these fields as `[old] Label` / `[new] Label` pairs (an update sheet).
    #[arg(long, value_name = "FIELD,...", value_delimiter = ',')]
    pub update_sheet: Vec<String>,
    /// The format (default: xlsx when the output's name ends in .xlsx, else csv).
    #[arg(long, value_enum)]
    pub format: Option<TemplateFormat>,
    /// Write here instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ImportsArgs {
    #[command(subcommand)]
    pub action: Option<ImportsAction>,
    /// Print as JSON.
    #[arg(long, global = true)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum ImportsAction {
    /// Every import, newest first.
    List,
    /// One import: options, counts and what it changed.
    Show {
        /// The import's id.
        id: i64,
        /// At most this many changes are listed.
        #[arg(long, value_name = "N", default_value = "20")]
        limit: usize,
    },
    /// Undo a completed import as a whole.
    Revert {
        /// The import's id.
        id: i64,
    },
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Folder to create the workspace in
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// Start from a demo schema
    #[arg(long, value_name = "NAME", value_parser = ["crm", "rollout", "msp", "ticketing"])]
    pub demo: Option<String>,
    /// Overwrite an existing intake.toml
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The file to inspect
    pub file: PathBuf,
    /// Print one JSON document
    #[arg(long)]
    pub json: bool,
    /// Show at most this many data rows (JSON: all rows unless given)
    #[arg(long, value_name = "N")]
    pub rows: Option<usize>,
    #[command(flatten)]
    pub read: ReadArgs,
}

/// How to read a file.
#[derive(Debug, Args, Clone, Default)]
pub struct ReadArgs {
    /// Cell delimiter: `,` `;` `|` or `tab` (default: detected)
    #[arg(long, value_name = "C")]
    pub delimiter: Option<String>,
    /// Text encoding, e.g. utf-8, utf-16le, windows-1252 (default: detected)
    #[arg(long, value_name = "NAME")]
    pub encoding: Option<String>,
    /// Workbook sheet to read (default: the first visible sheet)
    #[arg(long, value_name = "NAME")]
    pub sheet: Option<String>,
    /// Leave out hidden rows and columns and rows hidden by a filter (default: read them, with a warning)
    #[arg(long)]
    pub skip_hidden: bool,
    /// Largest file accepted, in MB (default 2048)
    #[arg(long, value_name = "MB")]
    pub max_file_mb: Option<u64>,
    /// Most rows accepted, counting the header (default 10,000,000)
    #[arg(long, value_name = "N")]
    pub max_rows: Option<u64>,
    /// Most columns accepted (default 2,000)
    #[arg(long, value_name = "N")]
    pub max_columns: Option<usize>,
    /// Longest cell accepted, in characters (default 32,767, as in Excel)
    #[arg(long, value_name = "N")]
    pub max_cell_chars: Option<usize>,
    /// Most bytes a workbook may decompress to, in MB (default 1024)
    #[arg(long, value_name = "MB")]
    pub max_unzipped_mb: Option<u64>,
    /// Highest compression ratio of a workbook part over 1 MB (default 100)
    #[arg(long, value_name = "N")]
    pub max_zip_ratio: Option<u64>,
}

#[derive(Debug, Args)]
pub struct TypesArgs {
    /// Print one JSON document
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum DescribeFormat {
    /// A table for people
    Text,
    /// JSON
    Json,
    /// A Frictionless Table Schema (JSON), for standard validation tools
    TableSchema,
}

#[derive(Debug, Args)]
pub struct DescribeArgs {
    /// The record type, e.g. `contact`
    #[arg(value_name = "TYPE")]
    pub record_type: String,
    /// Output format
    #[arg(long, value_enum, default_value = "text")]
    pub format: DescribeFormat,
    /// Same as --format json
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum TemplateFormat {
    /// CSV (UTF-8 with a byte-order mark, so spreadsheets read accents right)
    Csv,
    /// An Excel workbook: typed cells, dropdowns, a sheet describing every field
    Xlsx,
}

impl TemplateFormat {
    /// The format asked for, else the one the output's name ends with (`.xlsx`), else CSV.
    pub fn resolve(format: Option<Self>, output: Option<&std::path::Path>) -> Self {
        format.unwrap_or_else(|| {
            let xlsx = output
                .and_then(|p| p.extension())
                .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
            if xlsx { Self::Xlsx } else { Self::Csv }
        })
    }
}

#[derive(Debug, Args)]
pub struct TemplateArgs {
    /// The record type, e.g. `contact`
    #[arg(value_name = "TYPE")]
    pub record_type: String,
    /// Template format (default: xlsx when the output's name ends in .xlsx, else csv)
    #[arg(long, value_enum)]
    pub format: Option<TemplateFormat>,
    /// Write to this file instead of standard output
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Mode {
    /// Create new records and update existing ones
    Upsert,
    /// Only create; an existing record is an error
    Create,
    /// Only update; a missing record is an error
    Update,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum OnError {
    /// Write nothing if any row fails
    Abort,
    /// Write the valid rows, report the failing ones
    Skip,
}

/// Options of validation and import.
#[derive(Debug, Args, Clone)]
pub struct ImportOptions {
    /// Upsert, create or update
    #[arg(long, value_enum, default_value = "upsert")]
    pub mode: Mode,
    /// Let new records be created with required fields empty
    #[arg(long)]
    pub ignore_required: bool,
    /// Read columns as the mapping file says: a TOML `[columns]` table of "Header" = "field"
    #[arg(long, value_name = "FILE")]
    pub mapping: Option<PathBuf>,
    /// Locale preset for numbers and dates: iso, en-US, en-GB, de-DE, fr-FR, nl-NL
    #[arg(long, value_name = "NAME")]
    pub locale: Option<String>,
    /// Decimal separator: `.` or `,`
    #[arg(long, value_name = "C")]
    pub decimal_separator: Option<String>,
    /// Thousands separator: `,` `.` space `'` or `none`
    #[arg(long, value_name = "C")]
    pub thousands_separator: Option<String>,
    /// Date format, e.g. DD/MM/YYYY, MM/DD/YYYY, DD.MM.YYYY or strftime (%d %b %Y); ISO dates are always accepted
    #[arg(long, value_name = "FMT")]
    pub date_format: Option<String>,
    /// Date-time format, e.g. "DD/MM/YYYY hh:mm"; ISO 8601 is always accepted
    #[arg(long, value_name = "FMT")]
    pub datetime_format: Option<String>,
    /// Worker threads for checking rows (default: one per core)
    /// Match rows to stored records by this natural key instead of the UUID (e.g. email).
    #[arg(long, value_name = "FIELD", value_delimiter = ',')]
    pub match_on: Vec<String>,
    /// An empty cell clears the stored value (default: empty cells keep it).
    #[arg(long)]
    pub clear_empty: bool,
    /// Unknown select values become new options of their list instead of problems.
    #[arg(long)]
    pub create_missing_options: bool,
    #[arg(long, value_name = "N", default_value = "0", hide = true)]
    pub threads: usize,
    #[command(flatten)]
    pub read: ReadArgs,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// The record type, e.g. `contact`
    #[arg(value_name = "TYPE")]
    pub record_type: String,
    /// The file to check
    pub file: PathBuf,
    #[command(flatten)]
    pub options: ImportOptions,
    /// Write every problem to this file (CSV, or JSON when it ends in .json)
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Print one JSON document
    #[arg(long)]
    pub json: bool,
    /// Problems listed on the terminal (the report file has them all)
    #[arg(long, value_name = "N", default_value = "50")]
    pub limit: usize,
}

//! Command-line syntax.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Rampart policy tool.
#[derive(Parser, Debug)]
#[command(name = "polc", version, about = "Build, check, query, analyse and prove Rampart MAC policies")]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub cmd: Cmd,
}

/// Subcommands.
#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Compile sources (files or directories of *.pol) into a binary policy.
    Build {
        /// Source files or directories.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// Output file.
        #[arg(short, long)]
        output: PathBuf,
        /// Do not verify neverallow rules.
        #[arg(long)]
        no_check: bool,
    },
    /// Verify every neverallow against the rules.
    Check {
        /// Sources, directories or one binary policy.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
    },
    /// Search rules (like sesearch).
    Query {
        /// Sources, directories or one binary policy.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// Source type or attribute.
        #[arg(short, long)]
        source: Option<String>,
        /// Target type or attribute.
        #[arg(short, long)]
        target: Option<String>,
        /// Object class.
        #[arg(short, long)]
        class: Option<String>,
        /// Permission (repeat or comma-separate; matches rules with any).
        #[arg(short, long, value_delimiter = ',')]
        perm: Vec<String>,
        /// Rule kinds: allow, auditallow, dontaudit, neverallow, type_transition (default allow).
        #[arg(short, long, value_delimiter = ',')]
        kind: Vec<String>,
        /// Match names exactly, without attribute expansion.
        #[arg(long)]
        direct: bool,
    },
    /// Information-flow paths from SRC to DST: `polc flow POLICY... SRC DST`.
    Flow {
        /// Policy inputs followed by the source and destination type or attribute.
        #[arg(required = true, num_args = 3.., value_name = "POLICY... SRC DST")]
        args: Vec<String>,
        /// List all simple paths (up to --max-len steps, --limit paths), not just a shortest one.
        #[arg(long)]
        all: bool,
        /// Longest path, in steps, for --all.
        #[arg(long, default_value_t = 6)]
        max_len: usize,
        /// Most paths to list for --all.
        #[arg(long, default_value_t = 20)]
        limit: usize,
        /// Ignore permissions lighter than this weight (1-10).
        #[arg(long, default_value_t = 1)]
        min_weight: u8,
        /// Types or attributes a path may not pass through (comma-separated).
        #[arg(long, value_delimiter = ',')]
        exclude: Vec<String>,
        /// Permission-map override file.
        #[arg(long)]
        permmap: Option<PathBuf>,
    },
    /// Prove every neverallow and noflow assertion (plus --noflow ones).
    Prove {
        /// Sources, directories or one binary policy.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// Extra assertion `A:B`: no information flow from A to B.
        #[arg(long, value_name = "A:B")]
        noflow: Vec<String>,
        /// Types or attributes the --noflow paths may not pass through.
        #[arg(long, value_delimiter = ',')]
        except: Vec<String>,
        /// Ignore permissions lighter than this weight (1-10).
        #[arg(long, default_value_t = 1)]
        min_weight: u8,
        /// Permission-map override file.
        #[arg(long)]
        permmap: Option<PathBuf>,
        /// Only prove the --noflow assertions, not those in the policy.
        #[arg(long)]
        only_cli: bool,
    },
    /// Print counts of what the policy declares.
    Info {
        /// Sources, directories or one binary policy.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
    },
    /// Ask the decision engine: contexts of files, ports and service names, access decisions, transitions.
    Decide {
        /// Sources, directories or one binary policy.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// File path to label (with --file-kind).
        #[arg(long)]
        path: Option<String>,
        /// Kind of the file for --path (file, dir, lnk_file, chr_file, ...).
        #[arg(long, default_value = "file")]
        file_kind: String,
        /// Port to label, as PROTO/PORT (tcp/80).
        #[arg(long)]
        port: Option<String>,
        /// Service name to label (servicecon: the target of `service register`).
        #[arg(long)]
        service: Option<String>,
        /// Source context for --class (access decision) or --create.
        #[arg(long)]
        scon: Option<String>,
        /// Target context.
        #[arg(long)]
        tcon: Option<String>,
        /// Class for the access decision.
        #[arg(long)]
        class: Option<String>,
        /// Compute the context of a new object of --class (type_transition) instead.
        #[arg(long)]
        create: bool,
        /// Object name for --create.
        #[arg(long)]
        name: Option<String>,
        /// Set booleans first: NAME=true|false (repeatable).
        #[arg(long = "bool", value_name = "NAME=VALUE")]
        bools: Vec<String>,
    },
    /// Explain denials (like audit2why): for a tuple given with --scon,
    /// --tcon, --class, --perm, or for each `avc: denied` line of --audit
    /// (a file, `-` for standard input).
    Why {
        /// Sources, directories or one binary policy.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// Source context.
        #[arg(long)]
        scon: Option<String>,
        /// Target context.
        #[arg(long)]
        tcon: Option<String>,
        /// Object class.
        #[arg(long)]
        class: Option<String>,
        /// Permissions (repeat or comma-separate).
        #[arg(long, value_delimiter = ',')]
        perm: Vec<String>,
        /// Audit records to explain (`-`: standard input).
        #[arg(long)]
        audit: Option<PathBuf>,
        /// Set a boolean first: NAME=true|false (repeatable).
        #[arg(long = "bool")]
        bools: Vec<String>,
    },
    /// Propose allow rules for audit records (like audit2allow), flagging
    /// any a neverallow of the policy forbids (exit 1 then).
    Allow {
        /// Sources, directories or one binary policy.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// Audit records (`-` or absent: standard input).
        #[arg(long)]
        audit: Option<PathBuf>,
    },
    /// Compare two policies (like sediff): types, roles, users, booleans,
    /// rules, transitions, constraints, labelling and assertions added,
    /// removed or changed, and the direct information flows that appear or
    /// disappear. Each side is a comma-separated list of sources and
    /// directories, or one binary policy. Exit 0 if they are the same, 1
    /// if they differ.
    Diff {
        /// The old policy (`DIR,DIR,...` or a binary).
        old: String,
        /// The new policy.
        new: String,
        /// Lines printed per section at most.
        #[arg(long, default_value_t = 200)]
        limit: usize,
    },
    /// Print the effective permission map (built-in + policy + --permmap).
    Permmap {
        /// Sources, directories or one binary policy.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// Permission-map override file.
        #[arg(long)]
        permmap: Option<PathBuf>,
    },
}

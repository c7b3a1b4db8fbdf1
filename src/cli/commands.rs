//! One function per command. Each turns settings into stage calls and an exit code.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::output;
use super::{
    Cli, Command, DiffArgs, DiffFormat, GroupBy, ListFormat, RulePack, RulesCommand, ScanArgs,
};
use crate::catalog::{self, Catalog, Field, FieldType};
use crate::config::Config;
use crate::inventory::Inventory;
use crate::plan::Plan;
use crate::report::suppress;
use crate::report::{self, Report, ReportInput, Source};
use crate::rules::{self, PackSpec, ParamOverride, RuleSet, Severity};
use crate::untrusted;

pub fn run(cli: Cli) -> anyhow::Result<u8> {
    match cli.command {
        Command::Scan(args) => scan(args),
        Command::Rules(RulesCommand::Validate { paths, pack }) => {
            validate(&pack_spec(&pack, &paths, &Config::default()))
        }
        Command::Rules(RulesCommand::Test {
            paths,
            pack,
            strict,
        }) => test(&pack_spec(&pack, &paths, &Config::default()), strict),
        Command::Rules(RulesCommand::List {
            paths,
            pack,
            filter,
            format,
            markdown,
        }) => list(
            &pack_spec(&pack, &paths, &Config::default()),
            &rules::Selection::from(&filter),
            if markdown {
                ListFormat::Markdown
            } else {
                format
            },
        ),
        Command::Rules(RulesCommand::Export { dir, force }) => {
            let written = rules::pack::export(&dir, force)?;
            eprintln!(
                "wrote the built-in pack ({written} files) to {}; load it with --rules {} --no-builtin-rules, or edit single rules and load them with --rules",
                dir.display(),
                dir.display()
            );
            Ok(0)
        }
        Command::Catalog { resource_type } => print_catalog(resource_type.as_deref()),
        Command::Explain { rule_id, pack } => {
            explain(&rule_id, &pack_spec(&pack, &[], &Config::default()))
        }
        Command::Snapshot(args) => snapshot(args),
        Command::Summarize(args) => {
            let (config, _) = Config::load(None)?;
            super::live::summarize(args, config.bedrock_model.clone())
        }
        Command::Health(args) => {
            let (config, _) = Config::load(None)?;
            super::live::health(args, &config.regions, config.bedrock_model.clone())
        }
        Command::IamPolicy { health: true, .. } => {
            let document = super::live::health_policy_document();
            out(&format!("{}\n", serde_json::to_string_pretty(&document)?))?;
            Ok(0)
        }
        Command::IamPolicy {
            pack,
            all_regions,
            everything,
            health: false,
        } => iam_policy(
            &pack_spec(&pack, &[], &Config::default()),
            all_regions,
            everything,
        ),
        Command::Schema => {
            out(&report::schema::render()?)?;
            Ok(0)
        }
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut command, "posture", &mut script);
            out(&String::from_utf8_lossy(&script))?;
            Ok(0)
        }
        Command::Man { subcommand } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            command.build();
            let mut name = String::from("posture");
            for part in &subcommand {
                let Some(found) = command.find_subcommand(part).cloned() else {
                    let known: Vec<&str> = command
                        .get_subcommands()
                        .map(clap::Command::get_name)
                        .collect();
                    anyhow::bail!(
                        "`{name}` has no subcommand `{part}`; it has: {}",
                        known.join(", ")
                    );
                };
                name = format!("{name}-{part}");
                // A page is rendered once per run: the name may live as long as the process.
                command = found.name(&*name.clone().leak());
            }
            let mut page = Vec::new();
            clap_mangen::Man::new(command)
                .render(&mut page)
                .context("cannot render the man page")?;
            out(&String::from_utf8_lossy(&page))?;
            Ok(0)
        }
        Command::Diff(args) => diff(&args),
    }
}

pub(super) fn out(text: &str) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()?;
    Ok(())
}

/// The rules a command loads: the paths given (positional and `--rules`), else the config's,
/// beside the built-in pack unless it is turned off.
fn pack_spec(pack: &RulePack, positional: &[PathBuf], config: &Config) -> PackSpec {
    let mut paths: Vec<PathBuf> = positional.iter().chain(&pack.rules).cloned().collect();
    if paths.is_empty() {
        paths.clone_from(&config.rules);
    }
    PackSpec {
        builtin: !pack.no_builtin_rules && config.builtin_rules != Some(false),
        paths,
    }
}

/// Loads the rules `spec` names; on validation errors prints them all and returns None
/// (exit 2).
fn load_rules(spec: &PackSpec) -> anyhow::Result<Option<RuleSet>> {
    match rules::load_pack(spec, Catalog::builtin())? {
        Ok(set) => {
            // Documents are derived after the rules load (collection, inventory loading, rule
            // tests), so the pack's escalation catalog is in force for all of them.
            if let Some(paths) = set.escalation_paths.clone() {
                crate::derived::iam::escalation::install(paths);
            }
            Ok(Some(set))
        }
        Err(errors) => {
            eprint!("{}", errors.render());
            Ok(None)
        }
    }
}

/// Prints each problem of a rule-set step (overrides, selection) as one error line.
fn print_problems(problems: &[String]) {
    for p in problems {
        eprintln!("error: {}", untrusted::line(p));
    }
}

/// "1 rule", "42 rules".
fn rule_count(n: usize) -> String {
    format!("{n} rule{}", if n == 1 { "" } else { "s" })
}

fn now_utc() -> String {
    OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_default()
}

fn scan(args: ScanArgs) -> anyhow::Result<u8> {
    let started_at = now_utc();
    let (config, config_path) = Config::load(args.config.as_deref())?;
    let fail_on_text = args
        .fail_on
        .clone()
        .or(config.fail_on.clone())
        .unwrap_or_else(|| "low".into());
    // Severities are case-insensitive on the command line and in posture.toml.
    let fail_on = Severity::parse(&fail_on_text.to_ascii_lowercase()).with_context(|| {
        format!("fail_on `{fail_on_text}` is not one of info, low, medium, high, critical")
    })?;
    let max_undecided = match args
        .max_undecided
        .as_ref()
        .or(config.max_undecided.as_ref())
    {
        Some(text) => report::coverage::UndecidedLimit::parse(text)
            .map_err(|e| anyhow::anyhow!("max_undecided: {e}"))?,
        None => report::coverage::UndecidedLimit::default(),
    };
    let mut overrides = match &config_path {
        Some(path) => config.param_overrides(path)?,
        None => Vec::new(),
    };
    for flag in &args.params {
        overrides.push(ParamOverride::parse_flag(flag).map_err(anyhow::Error::msg)?);
    }
    let outputs = output::plan(
        &args.format,
        args.output.as_deref(),
        args.output_dir.as_deref(),
        &config,
    )?;
    let suppressions = match args.suppressions.as_ref().or(config.suppressions.as_ref()) {
        None => None,
        Some(path) => match suppress::load(path)? {
            Ok(file) => Some(file),
            Err(rendered) => {
                eprint!("{rendered}");
                return Ok(2);
            }
        },
    };

    let Some(mut set) = load_rules(&pack_spec(&args.pack, &[], &config))? else {
        return Ok(2);
    };
    if let Err(problems) = set
        .apply_overrides(&overrides)
        .and_then(|()| set.select(&rules::Selection::from(&args.filter)))
    {
        print_problems(&problems);
        return Ok(2);
    }

    let focus = match crate::eval::ResourceFocus::new(&args.resource_arns, &args.resource_tags) {
        Ok(focus) => focus,
        Err(problem) => {
            print_problems(&[problem]);
            return Ok(2);
        }
    };
    let (inventory, mut source) = if let Some(path) = &args.inventory {
        load_inventory(path)?
    } else {
        let options = args.live.options(&config.regions)?;
        let plan = Plan::from_rules(&set);
        let banner = rule_count(set.rules.len());
        let inventory = super::live::collect(&options, &plan, &banner, args.quiet)?;
        if let Some(path) = &args.save_inventory {
            inventory.save(path)?;
        }
        let source = Source {
            kind: "live".into(),
            inventory_path: args
                .save_inventory
                .as_ref()
                .map(|p| p.display().to_string()),
            inventory_sha256: None,
            collected_at: inventory.collected_at.clone(),
            endpoint_url: inventory.endpoint_url.clone(),
            accounts: inventory.accounts.clone(),
            resource_count: inventory.resources.len(),
            focus: None,
        };
        (inventory, source)
    };
    let now_text = args.now.clone().or(inventory.collected_at.clone());
    let now = match &now_text {
        Some(t) => OffsetDateTime::parse(t, &Rfc3339)
            .with_context(|| format!("`{t}` is not an RFC 3339 time"))?,
        None => OffsetDateTime::now_utc(),
    };
    // Suppressions by tags need each resource's tags; the evaluation consumes the inventory.
    let tags: BTreeMap<String, BTreeMap<String, String>> = if suppressions.is_some() {
        inventory
            .resources
            .iter()
            .map(|doc| (doc.arn.clone(), doc.tags.clone()))
            .collect()
    } else {
        BTreeMap::new()
    };
    // --show-pass lists passes in the table, so the report carries them too.
    let include_pass = args.include_pass || args.show_pass;
    source.focus = focus.record(&inventory.resources);
    let evaluation = crate::eval::evaluate_focused(&set, inventory, now, include_pass, &focus);
    let mut report = Report::build(ReportInput {
        rules: &set,
        evaluation,
        source,
        started_at,
        finished_at: now_utc(),
        include_passes: include_pass,
    });
    if let Some(file) = &suppressions {
        let today = now.to_offset(time::UtcOffset::UTC).date();
        let share = config
            .suppression_warn_share
            .unwrap_or(suppress::DEFAULT_WARN_SHARE);
        anyhow::ensure!(
            (0.0..=1.0).contains(&share),
            "suppression_warn_share must be between 0 and 1, found {share}"
        );
        for warning in suppress::apply(&mut report, file, today, &tags, share) {
            eprintln!("warning: {}", untrusted::line(&warning));
        }
    }
    let selection = rules::Selection::from(&args.filter);
    report.restrict_frameworks(|framework, control| selection.keeps_control(framework, control));
    let layout = report::table::Layout {
        by_framework: args.group_by == GroupBy::Framework,
        ..output::table_layout(args.color, args.show_pass)
    };
    outputs.write(&report, &layout)?;
    // Nothing on the terminal says how the scan went when every report went to a file (or
    // stdout carries a machine format): one line on stderr does.
    let table_on_stdout = outputs
        .outputs
        .iter()
        .any(|(f, d)| *f == super::Format::Table && matches!(d, output::Destination::Stdout));
    if !table_on_stdout && !args.quiet {
        let files: Vec<String> = outputs
            .outputs
            .iter()
            .filter_map(|(_, d)| match d {
                output::Destination::File(path) => Some(path.display().to_string()),
                output::Destination::Stdout => None,
            })
            .collect();
        let s = &report.summary.findings;
        eprintln!(
            "posture: {} rules over {} resources: {} passed, {} failed, {} errors{}{}",
            report.summary.rules,
            report.source.resource_count,
            s.pass,
            s.fail,
            s.error,
            if s.suppressed > 0 {
                format!(", {} suppressed", s.suppressed)
            } else {
                String::new()
            },
            if files.is_empty() {
                String::new()
            } else {
                format!("; wrote {}", files.join(", "))
            }
        );
    }
    if args.exit_zero {
        return Ok(0);
    }
    Ok(report.exit_code(fail_on, max_undecided))
}

/// Reads a saved inventory and describes it for the report.
fn load_inventory(path: &std::path::Path) -> anyhow::Result<(Inventory, Source)> {
    let (mut inventory, sha256) = Inventory::load(path)?;
    let warnings = crate::inventory::check::check(
        &mut inventory,
        Catalog::builtin(),
        OffsetDateTime::now_utc(),
    )
    .with_context(|| format!("{} cannot be evaluated", path.display()))?;
    for warning in warnings {
        eprintln!("warning: {}: {}", path.display(), untrusted::line(&warning));
    }
    let source = Source {
        kind: "inventory".into(),
        inventory_path: Some(path.display().to_string()),
        inventory_sha256: Some(sha256),
        collected_at: inventory.collected_at.clone(),
        endpoint_url: inventory.endpoint_url.clone(),
        accounts: inventory.accounts.clone(),
        resource_count: inventory.resources.len(),
        focus: None,
    };
    Ok((inventory, source))
}

fn snapshot(args: super::live::SnapshotArgs) -> anyhow::Result<u8> {
    let (config, _) = Config::load(None)?;
    let (plan, banner) = if args.rules.is_empty() {
        (
            Plan::everything(Catalog::builtin()),
            "every attribute".to_string(),
        )
    } else {
        // The rules name what to collect: exactly these, not the built-in pack beside them.
        let spec = PackSpec {
            builtin: false,
            paths: args.rules.clone(),
        };
        let Some(set) = load_rules(&spec)? else {
            return Ok(2);
        };
        let banner = format!("what {} read", rule_count(set.rules.len()));
        (Plan::from_rules(&set), banner)
    };
    let options = args.live.options(&config.regions)?;
    // Settled before any request, so a bad destination fails fast.
    let destination = args.output.destination("inventory.json")?;
    let inventory = super::live::collect(&options, &plan, &banner, args.quiet)?;
    destination.write(&inventory.to_text()?, "the inventory")?;
    if !args.quiet {
        eprintln!(
            "wrote {} resources to {}",
            inventory.resources.len(),
            destination
                .file()
                .map_or_else(|| "stdout".to_string(), |p| p.display().to_string())
        );
    }
    Ok(0)
}

fn iam_policy(spec: &PackSpec, all_regions: bool, everything: bool) -> anyhow::Result<u8> {
    let plan = if everything {
        Plan::everything(Catalog::builtin())
    } else {
        let Some(set) = load_rules(spec)? else {
            return Ok(2);
        };
        Plan::from_rules(&set)
    };
    let document = super::live::iam_policy_document(&plan, all_regions);
    out(&format!("{}\n", serde_json::to_string_pretty(&document)?))?;
    Ok(0)
}

fn diff(args: &DiffArgs) -> anyhow::Result<u8> {
    // For its [limits]: the reports are read under the configured size limit.
    Config::load(None)?;
    let fail_on = Severity::parse(&args.fail_on.to_ascii_lowercase())
        .with_context(|| format!("--fail-on `{}` is not a severity", args.fail_on))?;
    let old = report::diff::load(&args.old)?;
    let new = report::diff::load(&args.new)?;
    let d = report::diff::diff(&old, &args.old, &new, &args.new);
    match args.format {
        DiffFormat::Table => out(&d.render_table())?,
        DiffFormat::Json => out(&d.render_json()?)?,
    }
    Ok(d.exit_code(fail_on, args.allow_lost_coverage))
}

/// An inventory naming a type this binary does not know was made by another version or by
/// hand; evaluating it would silently skip those resources.
fn validate(spec: &PackSpec) -> anyhow::Result<u8> {
    let started = std::time::Instant::now();
    let Some(set) = load_rules(spec)? else {
        return Ok(2);
    };
    out(&format!(
        "{} rules in {} files are valid ({} ms)\n",
        set.rules.len(),
        set.files.len(),
        started.elapsed().as_millis()
    ))?;
    Ok(0)
}

fn test(spec: &PackSpec, strict: bool) -> anyhow::Result<u8> {
    let Some(set) = load_rules(spec)? else {
        return Ok(2);
    };
    // The tests of the paths named; the built-in pack's when none is.
    let paths = if spec.paths.is_empty() {
        vec![rules::pack::builtin_root()]
    } else {
        spec.paths.clone()
    };
    let run = crate::ruletest::run(&paths, &set)?;
    let mut text = String::new();
    for f in &run.failures {
        let _ = writeln!(
            text,
            "FAILED {} / {} ({}): {}",
            f.rule,
            f.case,
            f.file.display(),
            f.problem
        );
    }
    let untested = if strict { "error" } else { "warning" };
    for id in &run.untested_rules {
        let _ = writeln!(text, "{untested}: rule `{id}` has no tests file");
    }
    let _ = writeln!(
        text,
        "{} cases in {} files: {} passed, {} failed",
        run.cases,
        run.files,
        run.cases - run.failures.len(),
        run.failures.len()
    );
    out(&text)?;
    if run.cases == 0 {
        // A test command that ran nothing must not read as a pass.
        eprintln!("error: no test case found in {}", display_paths(&paths));
        return Ok(1);
    }
    Ok(u8::from(
        !run.failures.is_empty() || (strict && !run.untested_rules.is_empty()),
    ))
}

fn list(spec: &PackSpec, selection: &rules::Selection, format: ListFormat) -> anyhow::Result<u8> {
    let Some(mut set) = load_rules(spec)? else {
        return Ok(2);
    };
    if let Err(problems) = set.select(selection) {
        print_problems(&problems);
        return Ok(2);
    }
    let frameworks_of = |rule: &rules::Rule| -> String {
        rule.frameworks
            .iter()
            .map(|(k, ids)| format!("{k}: {}", ids.join(", ")))
            .collect::<Vec<_>>()
            .join("; ")
    };
    let mut text = String::new();
    match format {
        ListFormat::Json => {
            let listed: Vec<serde_json::Value> = set
                .rules
                .iter()
                .map(|rule| {
                    serde_json::json!({
                        "id": rule.id,
                        "version": rule.version,
                        "severity": rule.severity,
                        "resource_type": rule.resource_label(),
                        "title": rule.title,
                        "frameworks": rule.frameworks,
                        "params": set.params_of(&rule.id),
                        "origin": if rules::pack::is_builtin(&rule.file) { "builtin" } else { "file" },
                        "file": rule.file.display().to_string(),
                    })
                })
                .collect();
            text = serde_json::to_string_pretty(&listed)? + "\n";
        }
        ListFormat::Markdown => {
            text.push_str(
                "| id | severity | resource | title | frameworks |\n|---|---|---|---|---|\n",
            );
            for rule in &set.rules {
                let _ = writeln!(
                    text,
                    "| `{}` | {} | `{}` | {} | {} |",
                    rule.id,
                    rule.severity,
                    rule.resource_label(),
                    rule.title,
                    frameworks_of(rule)
                );
            }
        }
        ListFormat::Table => {
            // Columns as wide as their widest entry, so every row lines up.
            let id_width = set.rules.iter().map(|r| r.id.len()).max().unwrap_or(0);
            let type_width = set
                .rules
                .iter()
                .map(|r| r.resource_label().len())
                .max()
                .unwrap_or(0);
            for rule in &set.rules {
                let _ = writeln!(
                    text,
                    "{:<id_width$}  {:<8}  {:<type_width$}  {}",
                    rule.id,
                    rule.severity,
                    rule.resource_label(),
                    rule.title
                );
            }
        }
    }
    out(&text)?;
    Ok(0)
}

fn explain(rule_id: &str, spec: &PackSpec) -> anyhow::Result<u8> {
    let Some(set) = load_rules(spec)? else {
        return Ok(2);
    };
    let Some(rule) = set.get(rule_id) else {
        let near = catalog::nearest(rule_id, set.rules.iter().map(|r| r.id.as_str()));
        anyhow::bail!(
            "no rule has id `{rule_id}`{}",
            near.first()
                .map(|n| format!("; did you mean `{n}`?"))
                .unwrap_or_default()
        );
    };
    let mut t = String::new();
    let _ = writeln!(
        t,
        "{} (version {})\n{}\n",
        rule.id, rule.version, rule.title
    );
    let _ = writeln!(
        t,
        "Severity:  {}\nResource:  {}\nFile:      {}",
        rule.severity,
        rule.resource_label(),
        rule.file.display()
    );
    if let Some(selector) = &rule.selector {
        let _ = writeln!(
            t,
            "Applies to: {}",
            crate::eval::describe(selector, "", &set.params_of(&rule.id))
        );
    }
    let _ = writeln!(
        t,
        "Checks:    {}\n",
        crate::eval::describe(&rule.assertion, "", &set.params_of(&rule.id))
    );
    let _ = writeln!(
        t,
        "Rationale:\n  {}\n",
        rule.rationale.trim().replace('\n', "\n  ")
    );
    let _ = writeln!(
        t,
        "Remediation:\n  {}\n",
        rule.remediation.trim().replace('\n', "\n  ")
    );
    if rule.params.is_empty() {
        let _ = writeln!(t, "Parameters: none");
    } else {
        let _ = writeln!(
            t,
            "Parameters (override with --param {}.NAME=VALUE):",
            rule.id
        );
        for (k, v) in &rule.params {
            let _ = writeln!(t, "  {k} = {v}");
        }
    }
    let _ = writeln!(t, "\nFrameworks:");
    for (k, ids) in &rule.frameworks {
        let _ = writeln!(t, "  {k}: {}", ids.join(", "));
    }
    out(&t)?;
    Ok(0)
}

fn print_catalog(resource_type: Option<&str>) -> anyhow::Result<u8> {
    let catalog = Catalog::builtin();
    let mut t = String::new();
    match resource_type {
        None => {
            for ty in catalog.types.values() {
                let groups: Vec<&str> = ty.groups().map(|(name, _)| name.as_str()).collect();
                let _ = writeln!(
                    t,
                    "{:<28} {}\n{:<28} groups: {}\n",
                    ty.name,
                    ty.description,
                    "",
                    groups.join(", ")
                );
            }
            t.push_str("`posture catalog TYPE` lists every attribute of a type.\n");
        }
        Some(name) => {
            let Some(ty) = catalog.get(name) else {
                let near = catalog.nearest_types(name);
                anyhow::bail!(
                    "unknown resource type `{name}`{}",
                    near.first()
                        .map(|n| format!("; did you mean `{n}`?"))
                        .unwrap_or_default()
                );
            };
            let _ = writeln!(
                t,
                "{}\n  {}\n  listed by: {}\n",
                ty.name,
                ty.description,
                ty.list_actions.join(", ")
            );
            let _ = writeln!(t, "  arn, account, region, name, type: string");
            for (group, field) in ty.groups() {
                let _ = writeln!(t, "\n  {group}  <- {}", field.api.join(", "));
                if !field.description.is_empty() {
                    let _ = writeln!(t, "    {}", field.description);
                }
                describe_fields(&mut t, group, field, 2);
            }
        }
    }
    out(&t)?;
    Ok(0)
}

fn describe_fields(t: &mut String, path: &str, field: &Field, depth: usize) {
    let indent = "  ".repeat(depth);
    if field.ty == FieldType::Map {
        let _ = writeln!(t, "{indent}{path}.<key>: string");
        return;
    }
    for (name, child) in &field.fields {
        let child_path = format!("{path}.{name}");
        let ty = match (child.ty, child.items.as_deref()) {
            (FieldType::Array, Some(item)) => format!("list of {}", item.ty.name()),
            (ty, _) => ty.name().to_string(),
        };
        let unit = child
            .unit
            .as_ref()
            .map(|u| format!(" ({u})"))
            .unwrap_or_default();
        let desc = if child.description.is_empty() {
            String::new()
        } else {
            format!(" - {}", child.description)
        };
        let _ = writeln!(t, "{indent}{child_path}: {ty}{unit}{desc}");
        describe_fields(t, &child_path, child, depth);
        if let Some(item) = child.items.as_deref().filter(|i| i.ty == FieldType::Object) {
            describe_fields(t, &format!("{child_path}[]"), item, depth + 1);
        }
    }
}

fn display_paths(paths: &[PathBuf]) -> String {
    let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    names.join(", ")
}

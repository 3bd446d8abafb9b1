//! What can be checked of the Dockerfile without a Docker engine: every path
//! and command it names exists, the runtime stage installs every package the
//! binary links against, the binary runs in an empty environment with only
//! the image's settings, and the curl-less health check works against real
//! HTTP answers.

mod ops_support;

use std::collections::{BTreeSet, HashMap};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use ops_support::{free_port, read, repo, services_required};
use zhaoshang::config::{Config, Sources};

/// One Dockerfile instruction with continuation lines joined.
#[derive(Debug, Clone)]
struct Instruction {
    stage: usize,
    keyword: String,
    args: String,
}

fn dockerfile() -> Vec<Instruction> {
    let mut out = Vec::new();
    let mut stage = 0;
    let mut pending = String::new();
    for line in read("Dockerfile").lines() {
        let t = line.trim();
        if t.starts_with('#') || (t.is_empty() && pending.is_empty()) {
            continue;
        }
        if let Some(cont) = t.strip_suffix('\\') {
            pending.push_str(cont);
            pending.push(' ');
            continue;
        }
        pending.push_str(t);
        let full = std::mem::take(&mut pending);
        let (keyword, args) = full.split_once(char::is_whitespace).unwrap_or((full.as_str(), ""));
        let keyword = keyword.to_uppercase();
        if keyword == "FROM" {
            stage += 1;
        }
        out.push(Instruction { stage, keyword, args: args.trim().to_string() });
    }
    out
}

fn of<'a>(ins: &'a [Instruction], keyword: &str) -> Vec<&'a Instruction> {
    ins.iter().filter(|i| i.keyword == keyword).collect()
}

fn last_stage(ins: &[Instruction]) -> usize {
    ins.iter().map(|i| i.stage).max().unwrap_or(0)
}

/// The packages of `apt-get install` commands in one stage.
fn apt_packages(ins: &[Instruction], stage: usize) -> BTreeSet<String> {
    let mut pkgs = BTreeSet::new();
    for run in of(ins, "RUN").into_iter().filter(|i| i.stage == stage) {
        for cmd in run.args.split("&&") {
            let words: Vec<&str> = cmd.split_whitespace().collect();
            if let Some(pos) = words.windows(2).position(|w| w == ["apt-get", "install"]) {
                pkgs.extend(words[pos + 2..].iter().filter(|w| !w.starts_with('-')).map(|w| w.to_string()));
            }
        }
    }
    pkgs
}

/// Splits `["a", "b"]` (exec form) or a shell-form string into words.
fn exec_form(args: &str) -> Vec<String> {
    match serde_json::from_str::<Vec<String>>(args) {
        Ok(v) => v,
        Err(_) => args.split_whitespace().map(str::to_string).collect(),
    }
}

/// The ENV of the runtime stage (`ENV K=V K2=V2` form).
fn runtime_env(ins: &[Instruction]) -> HashMap<String, String> {
    let last = last_stage(ins);
    of(ins, "ENV")
        .into_iter()
        .filter(|i| i.stage == last)
        .flat_map(|i| i.args.split_whitespace().filter_map(|kv| kv.split_once('=')).map(|(k, v)| (k.to_string(), v.to_string())).collect::<Vec<_>>())
        .collect()
}

/// Whether .dockerignore lets `path` into the build context (last matching
/// pattern wins; a pattern matches a path or any path below it).
fn in_context(path: &str) -> bool {
    let mut included = true;
    for line in read(".dockerignore").lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let (negate, pattern) = match line.strip_prefix('!') {
            Some(p) => (true, p.trim_end_matches('/')),
            None => (false, line.trim_end_matches('/')),
        };
        let matches = pattern == "*" || path == pattern || path.starts_with(&format!("{pattern}/"));
        if matches {
            included = negate;
        }
    }
    included
}

#[test]
fn copy_sources_exist_and_are_in_the_build_context() {
    let ins = dockerfile();
    let copies: Vec<&Instruction> = of(&ins, "COPY").into_iter().filter(|c| !c.args.starts_with("--from")).collect();
    assert!(copies.len() >= 4, "expected the build's COPYs, found {copies:?}");
    for copy in copies {
        let words: Vec<&str> = copy.args.split_whitespace().filter(|w| !w.starts_with("--")).collect();
        for src in &words[..words.len() - 1] {
            let src = src.trim_end_matches('/');
            assert!(repo().join(src).exists(), "Dockerfile COPYs {src}, which does not exist");
            assert!(in_context(src), "Dockerfile COPYs {src}, which .dockerignore leaves out");
        }
    }
    // .dockerignore keeps out what must never reach an image or a context.
    for kept_out in ["target", ".git", "zhaoshang-state", ".work", "deploy/kubernetes/secret.example.yaml"] {
        assert!(!in_context(kept_out), ".dockerignore lets {kept_out} into the build context");
    }
}

/// Files compiled in with include_str!/include_bytes! must be COPYed into
/// the build stage, or `cargo build` fails inside Docker only.
#[test]
fn build_stage_copies_every_compiled_in_file() {
    let ins = dockerfile();
    let copied: Vec<String> = of(&ins, "COPY")
        .into_iter()
        .filter(|c| c.stage == 1)
        .flat_map(|c| {
            let words: Vec<String> = c.args.split_whitespace().map(|w| w.trim_end_matches('/').to_string()).collect();
            words[..words.len() - 1].to_vec()
        })
        .collect();
    let include = regex::Regex::new(r#"include_(?:str|bytes)!\("([^"]+)"\)"#).expect("regex");
    let mut stack = vec![repo().join("src")];
    let mut checked = 0;
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read src") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&path) else { continue };
            for c in include.captures_iter(&text) {
                let target = path.parent().expect("parent").join(&c[1]);
                let target = target.canonicalize().unwrap_or_else(|e| panic!("{}: {e}", target.display()));
                let rel = target.strip_prefix(repo().canonicalize().expect("repo")).expect("inside repo");
                let rel = rel.to_string_lossy();
                assert!(
                    copied.iter().any(|c| rel == c.as_str() || rel.starts_with(&format!("{c}/"))),
                    "{} compiles in {rel}, which the build stage does not COPY",
                    path.display()
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 1, "no include_str! found: the scan is broken");
}

/// The build stage's context, rebuilt from its COPY lines and .dockerignore,
/// must be a manifest cargo accepts with the lockfile as it is: declared
/// targets present (`[[bench]]` files), `--locked` satisfied. `cargo fetch
/// --offline` checks both without compiling.
#[test]
fn build_stage_context_satisfies_cargo_locked() {
    let ins = dockerfile();
    let context = tempfile::tempdir().expect("tempdir");
    for copy in of(&ins, "COPY").into_iter().filter(|c| c.stage == 1 && !c.args.starts_with("--")) {
        let words: Vec<&str> = copy.args.split_whitespace().collect();
        let (dest, sources) = words.split_last().expect("COPY src dest");
        for src in sources {
            let src = src.trim_end_matches('/');
            // `COPY a b ./` keeps names; `COPY dir ./dir` renames to dest.
            let target = if dest.ends_with('/') { context.path().join(src) } else { context.path().join(dest) };
            copy_tree(&repo().join(src), &target, src);
        }
    }
    let out = Command::new(env!("CARGO"))
        .args(["fetch", "--offline", "--locked"])
        .current_dir(context.path())
        .output()
        .expect("cargo fetch");
    assert!(
        out.status.success(),
        "cargo rejects the Docker build context (what the build stage COPYs):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Copies `from` to `to`, leaving out what .dockerignore leaves out.
fn copy_tree(from: &Path, to: &Path, rel: &str) {
    if !in_context(rel) {
        return;
    }
    if from.is_dir() {
        std::fs::create_dir_all(to).expect("mkdir");
        for entry in std::fs::read_dir(from).expect("read_dir") {
            let entry = entry.expect("entry");
            let name = entry.file_name().to_string_lossy().into_owned();
            copy_tree(&entry.path(), &to.join(&name), &format!("{rel}/{name}"));
        }
    } else {
        std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
        std::fs::copy(from, to).expect("copy");
    }
}

#[test]
fn binary_entrypoint_healthcheck_and_user_line_up() {
    let ins = dockerfile();
    let build = of(&ins, "RUN").into_iter().find(|r| r.args.contains("cargo build")).expect("a cargo build RUN");
    assert!(build.args.contains("--release") && build.args.contains("--locked"), "{}", build.args);
    let bin = regex::Regex::new(r"--bin (\S+)").expect("regex").captures(&build.args).expect("--bin NAME")[1].to_string();
    assert_eq!(bin, "zhaoshang");
    // Cargo's name for the binary this crate builds (the test harness was
    // handed its path, so the target exists).
    let built = PathBuf::from(env!("CARGO_BIN_EXE_zhaoshang"));
    assert_eq!(built.file_name().and_then(|n| n.to_str()), Some(bin.as_str()));
    assert!(build.args.contains(&format!("target/release/{bin} /out/{bin}")), "{}", build.args);

    let copy_from = of(&ins, "COPY").into_iter().find(|c| c.args.starts_with("--from=build")).expect("COPY --from=build");
    let dest = copy_from.args.split_whitespace().last().expect("dest").to_string();
    let entry = exec_form(&of(&ins, "ENTRYPOINT").last().expect("ENTRYPOINT").args);
    assert_eq!(entry, vec![dest.clone()], "ENTRYPOINT must run the copied binary");

    let health = of(&ins, "HEALTHCHECK").last().expect("HEALTHCHECK").args.clone();
    let health_cmd = exec_form(health.split_once("CMD").expect("HEALTHCHECK CMD").1.trim());
    let script_copy = of(&ins, "COPY")
        .into_iter()
        .find(|c| c.args.ends_with(&health_cmd[0]))
        .unwrap_or_else(|| panic!("HEALTHCHECK runs {}, which no COPY puts there", health_cmd[0]));
    let src = script_copy.args.split_whitespace().next().expect("src");
    assert_eq!(read(src).lines().next(), Some("#!/bin/bash"), "{src} needs its interpreter line (bash in bookworm-slim)");

    // Non-root, with the same uid as the Kubernetes securityContext.
    let user = of(&ins, "USER").last().expect("USER").args.clone();
    let uid = user.split(':').next().expect("uid");
    assert_ne!(uid, "0");
    assert_ne!(uid, "root");
    assert!(apt_or_user_setup(&ins).contains(&format!("--uid {uid}")), "USER {uid} is not the created user");
    assert!(read("deploy/kubernetes/deployment.yaml").contains(&format!("runAsUser: {uid}")));
}

fn apt_or_user_setup(ins: &[Instruction]) -> String {
    of(ins, "RUN").into_iter().filter(|r| r.stage == last_stage(ins)).map(|r| r.args.clone()).collect()
}

/// ENV, EXPOSE, VOLUME and CMD agree with the configuration the binary reads
/// and the subcommands it has.
#[test]
fn runtime_settings_are_real_config() {
    let ins = dockerfile();
    let env = runtime_env(&ins);
    for key in env.keys() {
        assert!(key.starts_with("ZHAOSHANG__"), "unexpected ENV {key}");
    }
    let config = Config::load(&Sources { env: env.clone(), ..Sources::default() }).expect("image ENV loads");
    let volume = exec_form(&of(&ins, "VOLUME").last().expect("VOLUME").args);
    assert_eq!(volume, vec![config.dedup.path.to_string_lossy().to_string()], "the volume must hold dedup.path");
    let port = config.metrics.address.rsplit(':').next().expect("port").to_string();
    let exposed = of(&ins, "EXPOSE").last().expect("EXPOSE").args.clone();
    assert_eq!(exposed, port, "EXPOSE must be the metrics port");
    let cmd = exec_form(&of(&ins, "CMD").last().expect("CMD").args);
    let help = Command::new(env!("CARGO_BIN_EXE_zhaoshang")).arg(&cmd[0]).arg("--help").output().expect("run zhaoshang");
    assert!(
        help.status.success(),
        "the image's CMD `{}` is not a zhaoshang subcommand: {}",
        cmd[0],
        String::from_utf8_lossy(&help.stderr)
    );
}


/// The binary the image ships: the release build when there is one at least
/// as new as the test build (a stale one would test old code), else the test
/// build, which links the same libraries.
fn shipped_binary() -> PathBuf {
    let release = repo().join("target/release/zhaoshang");
    let test_build = PathBuf::from(env!("CARGO_BIN_EXE_zhaoshang"));
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    match (modified(&release), modified(&test_build)) {
        (Some(r), Some(t)) if r >= t => release,
        _ => test_build,
    }
}

/// Every shared library the binary loads belongs to a package the runtime
/// stage installs: ldd for the libraries, dpkg for their packages.
#[test]
fn runtime_stage_installs_every_linked_library() {
    let have = |tool: &str| Command::new(tool).arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok();
    if !(have("ldd") && have("dpkg")) {
        assert!(!services_required(), "ldd and dpkg are needed for this check");
        eprintln!("notice: no ldd/dpkg here; skipping the linked-library check");
        return;
    }
    let ins = dockerfile();
    let runtime = apt_packages(&ins, last_stage(&ins));
    let binary = shipped_binary();
    let ldd = Command::new("ldd").arg(&binary).output().expect("ldd");
    let ldd = String::from_utf8_lossy(&ldd.stdout).into_owned();
    assert!(!ldd.contains("not found"), "{} has unresolved libraries:\n{ldd}", binary.display());
    let mut libraries = Vec::new();
    for line in ldd.lines() {
        // "libz.so.1 => /lib/x86_64-linux-gnu/libz.so.1 (0x...)" or "/lib64/ld-linux-x86-64.so.2 (0x...)"
        let path = line.split("=>").nth(1).unwrap_or(line).split_whitespace().next().unwrap_or_default();
        if path.starts_with('/') {
            libraries.push(path.to_string());
        }
    }
    assert!(libraries.len() >= 2, "ldd found too little:\n{ldd}");
    for lib in &libraries {
        // dpkg knows the /lib path or, on merged-/usr systems, the /usr/lib one.
        let real = Path::new(lib).canonicalize().unwrap_or_else(|_| PathBuf::from(lib));
        let mut owner = None;
        for candidate in [PathBuf::from(lib), real.clone(), PathBuf::from(format!("/usr{lib}"))] {
            let out = Command::new("dpkg").arg("-S").arg(&candidate).output().expect("dpkg -S");
            if out.status.success() {
                let text = String::from_utf8_lossy(&out.stdout).into_owned();
                owner = text.split(':').next().map(|s| s.trim().to_string());
                break;
            }
        }
        let owner = owner.unwrap_or_else(|| panic!("no Debian package owns {lib}"));
        assert!(runtime.contains(&owner), "{} links {lib} from package {owner}, which the runtime stage does not install ({runtime:?})", binary.display());
    }
    eprintln!("{}: {} libraries, all from {:?}", binary.display(), libraries.len(), runtime);
}

/// The binary starts with nothing around it but the image's ENV: no HOME,
/// no PATH, no config files, an empty working directory.
#[test]
fn binary_runs_in_an_empty_environment() {
    let ins = dockerfile();
    let env = runtime_env(&ins);
    let workdir = tempfile::tempdir().expect("tempdir");
    let state = workdir.path().join("state");
    let run = |args: &[&str], stdin: &[u8]| {
        let mut child = Command::new(shipped_binary())
            .args(args)
            .env_clear()
            .envs(env.iter().filter(|(k, _)| k.as_str() != "ZHAOSHANG__DEDUP__PATH"))
            .env("ZHAOSHANG__DEDUP__PATH", &state)
            .current_dir(workdir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn zhaoshang");
        child.stdin.take().expect("stdin").write_all(stdin).expect("write stdin");
        child.wait_with_output().expect("wait")
    };
    let version = run(&["--version"], b"");
    assert!(version.status.success(), "{}", String::from_utf8_lossy(&version.stderr));
    assert!(String::from_utf8_lossy(&version.stdout).contains(env!("CARGO_PKG_VERSION")));

    // A short investment-promotion item, written for this test.
    let article = "<html><body><p>本市今天举行重大项目集中签约仪式，共签约项目12个，总投资86亿元，涉及新能源和智能制造产业。</p></body></html>\n";
    let out = run(&["process", "-"], article.as_bytes());
    assert!(out.status.success(), "process in an empty environment failed: {}", String::from_utf8_lossy(&out.stderr));
    let summary = String::from_utf8_lossy(&out.stderr);
    assert!(summary.contains("1 inputs"), "unexpected summary: {summary}");
}

/// A one-shot HTTP server on loopback answering with `status_line`.
fn answer_once(status_line: &'static str) -> (u16, std::thread::JoinHandle<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let handle = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().expect("accept");
        conn.set_read_timeout(Some(std::time::Duration::from_secs(5))).expect("timeout");
        let mut request = Vec::new();
        let mut buf = [0u8; 512];
        while !request.ends_with(b"\r\n\r\n") {
            match conn.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => request.extend_from_slice(&buf[..n]),
            }
        }
        let _ = write!(conn, "{status_line}\r\nContent-Length: 2\r\n\r\nok");
        String::from_utf8_lossy(&request).into_owned()
    });
    (port, handle)
}

fn healthcheck(port: u16) -> std::process::Output {
    Command::new("bash")
        .arg(repo().join("deploy/docker/healthcheck.sh"))
        .env_clear()
        .env("ZHAOSHANG__METRICS__ADDRESS", format!("0.0.0.0:{port}"))
        .output()
        .expect("run healthcheck.sh")
}

#[test]
fn healthcheck_script_follows_healthz() {
    let (port, server) = answer_once("HTTP/1.1 200 OK");
    let out = healthcheck(port);
    let request = server.join().expect("server");
    assert!(request.starts_with("GET /healthz HTTP/1."), "asked for {request:?}");
    assert!(out.status.success(), "200 must be healthy: {}", String::from_utf8_lossy(&out.stderr));

    let (port, server) = answer_once("HTTP/1.1 503 Service Unavailable");
    let out = healthcheck(port);
    server.join().expect("server");
    assert!(!out.status.success(), "503 must be unhealthy");
    assert!(String::from_utf8_lossy(&out.stderr).contains("503"));

    // Nothing listening.
    let out = healthcheck(free_port());
    assert!(!out.status.success(), "a closed port must be unhealthy");
}

/// The strongest check without Docker: the runtime stage rebuilt from its own
/// RUN lines on a Debian bookworm minbase root (`deploy/docker/runtime-rootfs.sh
/// build`, path in ZHAOSHANG_TEST_ROOTFS). The binary is copied in as
/// `COPY --from=build` does and run by chroot as the image's user with only
/// the image's ENV: every library must resolve there, and it must process an
/// article, writing its state into the image's volume directory.
#[test]
fn binary_runs_in_the_runtime_stage_rootfs() {
    let Some(rootfs) = ops_support::tool_path("ZHAOSHANG_TEST_ROOTFS", "the runtime-stage root (deploy/docker/runtime-rootfs.sh build)")
    else {
        return;
    };
    assert!(rootfs.join(".runtime-stage-done").exists(), "{} is not a finished runtime-rootfs.sh build", rootfs.display());
    let ins = dockerfile();
    let user = of(&ins, "USER").last().expect("USER").args.clone();
    let target = rootfs.join("usr/local/bin/zhaoshang");
    // As the build stage hands it over: stripped of debug info when it is.
    let build = of(&ins, "RUN").into_iter().find(|r| r.args.contains("cargo build")).expect("cargo build RUN");
    if build.args.contains("objcopy --strip-debug") {
        let status = Command::new("objcopy").arg("--strip-debug").arg(shipped_binary()).arg(&target).status().expect("objcopy");
        assert!(status.success(), "objcopy --strip-debug failed");
    } else {
        std::fs::copy(shipped_binary(), &target).expect("copy the binary into the rootfs");
    }

    let ldd = Command::new("chroot").arg(&rootfs).args(["ldd", "/usr/local/bin/zhaoshang"]).output().expect("chroot ldd");
    let ldd_text = String::from_utf8_lossy(&ldd.stdout);
    assert!(ldd.status.success() && !ldd_text.contains("not found"), "in the runtime stage:\n{ldd_text}{}", String::from_utf8_lossy(&ldd.stderr));

    let env = runtime_env(&ins);
    let workdir = of(&ins, "WORKDIR").into_iter().filter(|w| w.stage == last_stage(&ins)).last().expect("WORKDIR").args.clone();
    let run = |args: &[&str], stdin: &str| {
        // chroot --userspec drops to the image's USER; `env -i` leaves only the image's ENV.
        let mut cmd = Command::new("chroot");
        cmd.arg(format!("--userspec={user}"))
            .arg(&rootfs)
            .args(["/usr/bin/env", "-i"])
            .args(env.iter().map(|(k, v)| format!("{k}={v}")))
            .args(["/bin/sh", "-c", &format!("cd {workdir} && exec /usr/local/bin/zhaoshang \"$@\"", ), "sh"])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("chroot");
        child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("stdin");
        child.wait_with_output().expect("wait")
    };
    let version = run(&["--version"], "");
    assert!(version.status.success(), "--version in the runtime stage: {}", String::from_utf8_lossy(&version.stderr));
    let article = "<p>开发区今日与三家企业签约，引进项目3个，计划总投资15亿元，建设新材料生产基地。</p>\n";
    let out = run(&["process", "-"], article);
    assert!(out.status.success(), "process in the runtime stage: {}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 inputs"), "{}", String::from_utf8_lossy(&out.stderr));
}

/// The image's HEALTHCHECK against the real daemon, both inside the runtime
/// stage root: `zhaoshang run` as uid 10001 with the image's ENV (embedded
/// dedup store in the volume directory), and the health check script run
/// there the way Docker runs it, until it reports healthy. The broker is
/// ZHAOSHANG_TEST_KAFKA when set; /healthz must answer during start-up
/// either way, since the listener is bound before the consumer starts.
#[test]
fn healthcheck_passes_against_the_daemon_in_the_runtime_stage() {
    let Some(rootfs) = ops_support::tool_path("ZHAOSHANG_TEST_ROOTFS", "the runtime-stage root (deploy/docker/runtime-rootfs.sh build)")
    else {
        return;
    };
    let ins = dockerfile();
    let user = of(&ins, "USER").last().expect("USER").args.clone();
    let target = rootfs.join("usr/local/bin/zhaoshang-ops-health");
    std::fs::copy(shipped_binary(), &target).expect("copy the binary into the rootfs");
    let port = free_port();
    let brokers = std::env::var("ZHAOSHANG_TEST_KAFKA").unwrap_or_else(|_| format!("127.0.0.1:{}", free_port()));
    let mut env = runtime_env(&ins);
    env.insert("ZHAOSHANG__METRICS__ADDRESS".into(), format!("127.0.0.1:{port}"));
    env.insert("ZHAOSHANG__KAFKA__BROKERS".into(), brokers);
    env.insert("ZHAOSHANG__KAFKA__GROUP_ID".into(), format!("ops-health-{}", fastrand::u32(..)));
    let in_root = |program: &str, env: &HashMap<String, String>| {
        let mut cmd = Command::new("chroot");
        cmd.arg(format!("--userspec={user}")).arg(&rootfs).args(["/usr/bin/env", "-i"]);
        cmd.args(env.iter().map(|(k, v)| format!("{k}={v}"))).arg(program);
        cmd
    };
    let mut daemon = in_root("/usr/local/bin/zhaoshang-ops-health", &env)
        .arg("run")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("chroot zhaoshang run");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let mut last = String::new();
    let healthy = loop {
        let out = in_root("/usr/local/bin/zhaoshang-healthcheck", &env).output().expect("chroot healthcheck");
        if out.status.success() {
            break true;
        }
        last = String::from_utf8_lossy(&out.stderr).into_owned();
        if std::time::Instant::now() > deadline || matches!(daemon.try_wait(), Ok(Some(_))) {
            break false;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    let _ = Command::new("kill").arg("-TERM").arg(daemon.id().to_string()).status();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while !matches!(daemon.try_wait(), Ok(Some(_))) && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let _ = daemon.kill();
    let out = daemon.wait_with_output().expect("daemon output");
    let _ = std::fs::remove_file(&target);
    assert!(healthy, "HEALTHCHECK never passed ({last}); daemon stderr:\n{}", String::from_utf8_lossy(&out.stderr));
}

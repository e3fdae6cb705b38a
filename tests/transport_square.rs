//! The transport square against skopeo 1.9.3, pair by pair: for every
//! source transport (one test each, so a failure names its row) and every
//! destination, the same input is copied by ocireg and by skopeo; the
//! results agree (the raw manifest's digest and the files), each tool
//! reads what the other wrote, and umoci unpacks the layouts and oci-archives ocireg
//! wrote. Five inputs, each where the source can hold it: a single image,
//! a two-platform index copied whole (`--all`), one platform of that index,
//! and the single image and the index as Docker schema 2 (which skopeo
//! converts to OCI for a layout or an oci-archive); layers gzipped, as in
//! registries (a docker-archive's plain layers are gzipped again for
//! docker://, oci: and oci-archive:, by both tools to the same bytes).

mod fixtures;
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use ocireg::image::{ImageName, ImageOptions, Platform};
use ocireg::{Client, Digest, ErrorKind};
use serde_json::Value;
use support::layout::write_gzip_layout;
use support::skopeo::{files_of, raw_manifest, run, skopeo, skopeo_refuses};
use support::tempdir::TempDir;
use support::{Mode, Registry};

/// skopeo's five transports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Transport {
    Docker,
    Oci,
    OciArchive,
    DockerArchive,
    Dir,
}

use Transport::{Dir, Docker, DockerArchive, Oci, OciArchive};

const TRANSPORTS: [Transport; 5] = [Docker, Oci, OciArchive, DockerArchive, Dir];

impl Transport {
    fn label(self) -> &'static str {
        match self {
            Docker => "docker",
            Oci => "oci",
            OciArchive => "oci-archive",
            DockerArchive => "docker-archive",
            Dir => "dir",
        }
    }

    /// Whether the transport holds an index (skopeo `--all`).
    fn holds_index(self) -> bool {
        self != DockerArchive
    }

    /// The name of an image of this transport at `key` (a registry
    /// repository, or a path under `work`).
    fn location(self, host: &str, work: &Path, key: &str) -> String {
        let path = work.join(key);
        match self {
            Docker => format!("docker://{host}/square/{key}:v1"),
            Oci => format!("oci:{}:v1", path.display()),
            OciArchive => format!("oci-archive:{}:v1", path.with_extension("tar").display()),
            DockerArchive => format!(
                "docker-archive:{}:example.com/square/{key}:v1",
                path.with_extension("tar").display()
            ),
            Dir => format!("dir:{}", path.display()),
        }
    }
}

/// What moves: a single image, a whole index, one platform of it, or the
/// single image and the whole index as Docker schema 2 manifests (which
/// skopeo converts to OCI for a layout or an oci-archive).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Input {
    Single,
    Index,
    OnePlatform,
    Schema2,
    Schema2Index,
}

use Input::{Index, OnePlatform, Schema2, Schema2Index, Single};

const INPUTS: [Input; 5] = [Single, Index, OnePlatform, Schema2, Schema2Index];

impl Input {
    fn label(self) -> &'static str {
        match self {
            Single => "single",
            Index => "index",
            OnePlatform => "platform",
            Schema2 => "schema2",
            Schema2Index => "schema2-index",
        }
    }

    /// Whether a source of `transport` holds this input (a layout or an
    /// oci-archive holds no Docker manifest skopeo reads; a docker-archive
    /// only single images, as generated Docker schema 2 manifests).
    fn held_by(self, transport: Transport) -> bool {
        match self {
            Single => true,
            Index | OnePlatform => transport.holds_index(),
            Schema2 | Schema2Index => matches!(transport, Docker | Dir),
        }
    }

    /// Whether a whole index moves (`--all`).
    fn is_whole_index(self) -> bool {
        matches!(self, Index | Schema2Index)
    }

    /// The layout the input is written from.
    fn layout(self) -> &'static str {
        match self {
            Single | Schema2 => "single",
            Index | OnePlatform | Schema2Index => "index",
        }
    }

    fn ocireg_options(self) -> ImageOptions {
        match self {
            Single | Schema2 => ImageOptions::default(),
            Index | Schema2Index => ImageOptions {
                all_platforms: true,
                ..Default::default()
            },
            OnePlatform => ImageOptions {
                platforms: vec![Platform::parse("linux/amd64").expect("platform")],
                ..Default::default()
            },
        }
    }

    fn skopeo_options(self) -> &'static [&'static str] {
        match self {
            Single | Schema2 => &[],
            Index | Schema2Index => &["--all"],
            OnePlatform => &["--override-arch", "amd64", "--override-os", "linux"],
        }
    }
}

/// The shared inputs: one registry, and the single image and the index on
/// every transport that holds them, written by skopeo from one layout.
struct Inputs {
    registry: Registry,
    /// Where skopeo's copies out of a docker-archive into `docker://` go: a
    /// registry its blob-info cache has never seen. On the inputs' own
    /// registry skopeo mounts the gzipped blobs it knows the plain layers
    /// came from instead of compressing them, which ocireg (with no such
    /// cache) never does.
    unseen: Registry,
    work: PathBuf,
}

impl Inputs {
    fn get() -> &'static Inputs {
        static INPUTS: OnceLock<Inputs> = OnceLock::new();
        INPUTS.get_or_init(|| {
            let registry = Registry::start(Mode::Plain);
            let work = TempDir::new("square-inputs").into_persistent();
            write_gzip_layout(&work.join("single-layout"), "v1", &[("amd64", 41)]);
            write_gzip_layout(
                &work.join("index-layout"),
                "v1",
                &[("amd64", 42), ("arm64", 43)],
            );
            let inputs = Inputs {
                registry,
                unseen: Registry::start(Mode::Plain),
                work,
            };
            for input in [Single, Index, Schema2, Schema2Index] {
                let layout = format!(
                    "oci:{}:v1",
                    inputs
                        .work
                        .join(format!("{}-layout", input.layout()))
                        .display()
                );
                let options: &[&str] = match input {
                    Schema2 => &["--format", "v2s2"],
                    Schema2Index => &["--all", "--format", "v2s2"],
                    _ => input.skopeo_options(),
                };
                for transport in TRANSPORTS {
                    if transport != Oci && input.held_by(transport) {
                        skopeo_copy(&layout, &inputs.source(transport, input), options);
                    }
                }
            }
            inputs
        })
    }

    fn host(&self) -> &str {
        self.registry.host()
    }

    /// Where the input is on `transport` (the one-platform input reads the
    /// index).
    fn source(&self, transport: Transport, input: Input) -> String {
        let input = if input == OnePlatform { Index } else { input };
        if transport == Oci {
            return format!(
                "oci:{}:v1",
                self.work
                    .join(format!("{}-layout", input.label()))
                    .display()
            );
        }
        let key = format!("input-{}-{}", transport.label(), input.label());
        transport.location(self.host(), &self.work, &key)
    }
}

/// `skopeo copy`'s arguments, with plain HTTP to and from the registry.
fn skopeo_copy_args<'a>(from: &'a str, to: &'a str, options: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["copy", "-q"];
    args.extend(options);
    if from.starts_with("docker://") {
        args.push("--src-tls-verify=false");
    }
    if to.starts_with("docker://") {
        args.push("--dest-tls-verify=false");
    }
    args.extend([from, to]);
    args
}

/// `skopeo copy FROM TO` with `options`.
fn skopeo_copy(from: &str, to: &str, options: &[&str]) {
    skopeo(&skopeo_copy_args(from, to, options));
}

/// How a pair came out.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    DigestEqual,
    RefusedBySkopeo,
}

fn name(text: &str) -> ImageName {
    ImageName::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// The path part of a file or directory transport's name.
fn path_of(location: &str) -> PathBuf {
    let rest = location.split_once(':').expect("transport:").1;
    let path = match rest.split_once(':') {
        Some((path, _)) => path,
        None => rest,
    };
    PathBuf::from(path)
}

/// The files of an OCI layout that must agree between two tools: its
/// blobs and the manifests `index.json` names.
fn layout_files(dir: &Path) -> (Vec<(String, Vec<u8>)>, Value) {
    let index: Value =
        serde_json::from_slice(&std::fs::read(dir.join("index.json")).expect("read index.json"))
            .expect("index.json");
    (
        files_of(&dir.join("blobs/sha256")),
        index["manifests"].clone(),
    )
}

/// The config and the layers (in order) of each image of the
/// docker-archive `file`, as `manifest.json` names them (unpacked by tar
/// into `into`).
fn saved_images(file: &Path, into: &Path) -> Vec<Vec<Vec<u8>>> {
    untar(file, into);
    let listing: Value =
        serde_json::from_slice(&std::fs::read(into.join("manifest.json")).expect("manifest.json"))
            .expect("manifest.json");
    let read = |member: &Value| {
        let member = member.as_str().expect("a member name");
        std::fs::read(into.join(member)).unwrap_or_else(|e| panic!("{member}: {e}"))
    };
    listing
        .as_array()
        .expect("a list of images")
        .iter()
        .map(|image| {
            let layers = image["Layers"].as_array().expect("Layers");
            std::iter::once(read(&image["Config"]))
                .chain(layers.iter().map(read))
                .collect()
        })
        .collect()
}

/// An oci-archive unpacked into `into` (by tar, as umoci needs it).
fn untar(file: &Path, into: &Path) -> PathBuf {
    std::fs::create_dir_all(into).expect("create the directory");
    run(Command::new("tar").arg("xf").arg(file).arg("-C").arg(into));
    into.to_path_buf()
}

/// umoci unpacks every image of the layout `dir` under `ref_name` (each
/// instance of an index through a copy naming it: umoci 0.4.7 unpacks no
/// index of several platforms), and finds its layers' files.
fn umoci_unpacks(dir: &Path, ref_name: &str, scratch: &Path) {
    let top = raw_manifest(&format!("oci:{}:{ref_name}", dir.display()));
    let top: Value = serde_json::from_str(&top).expect("manifest");
    let instances: Vec<Value> = match top["manifests"].as_array() {
        Some(list) => list.clone(),
        None => {
            let index: Value =
                serde_json::from_slice(&std::fs::read(dir.join("index.json")).expect("index.json"))
                    .expect("index.json");
            index["manifests"]
                .as_array()
                .expect("manifests")
                .iter()
                .filter(|d| d["annotations"]["org.opencontainers.image.ref.name"] == ref_name)
                .cloned()
                .collect()
        }
    };
    assert!(
        !instances.is_empty(),
        "{}: nothing to unpack",
        dir.display()
    );
    for (i, instance) in instances.iter().enumerate() {
        let copy = scratch.join(format!("umoci-layout-{i}"));
        run(Command::new("cp").arg("-r").arg(dir).arg(&copy));
        let mut entry = instance.clone();
        entry["annotations"] = serde_json::json!({"org.opencontainers.image.ref.name": "unpack"});
        std::fs::write(
            copy.join("index.json"),
            serde_json::to_vec(&serde_json::json!({"schemaVersion": 2, "manifests": [entry]}))
                .expect("JSON"),
        )
        .expect("write index.json");
        let bundle = scratch.join(format!("umoci-bundle-{i}"));
        run(Command::new("umoci").args([
            "unpack",
            "--rootless",
            "--image",
            &format!("{}:unpack", copy.display()),
            &bundle.display().to_string(),
        ]));
        let files: Vec<String> = std::fs::read_dir(bundle.join("rootfs"))
            .expect("rootfs")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("file-"))
            .collect();
        assert_eq!(files.len(), 2, "{}: {files:?}", dir.display());
    }
}

/// One pair: ocireg and skopeo copy `input` from `src` to `dst`; the
/// results are compared and each tool reads the other's.
async fn check_pair(
    client: &Client,
    src: Transport,
    dst: Transport,
    input: Input,
    work: &Path,
) -> Outcome {
    let inputs = Inputs::get();
    let host = inputs.host();
    let from = inputs.source(src, input);
    let pair = format!("{}-{}-{}", src.label(), dst.label(), input.label());
    let ours = dst.location(host, work, &format!("{pair}-ocireg"));
    let their_host = match src {
        DockerArchive => inputs.unseen.host(),
        _ => host,
    };
    let theirs = dst.location(their_host, work, &format!("{pair}-skopeo"));
    let options = input.ocireg_options();

    if input.is_whole_index() && !dst.holds_index() {
        let said = skopeo_refuses(&skopeo_copy_args(&from, &theirs, &["--all"]));
        assert!(
            said.contains("does not support copying multiple images as a group"),
            "{pair}: {said}"
        );
        let err = client
            .copy_image(&name(&from), &name(&ours), &options)
            .await
            .expect_err(&pair);
        assert_eq!(err.kind(), ErrorKind::Unsupported, "{pair}: {err}");
        assert!(!path_of(&ours).exists(), "{pair}: something was written");
        return Outcome::RefusedBySkopeo;
    }

    skopeo_copy(&from, &theirs, input.skopeo_options());
    let written = client
        .copy_image(&name(&from), &name(&ours), &options)
        .await
        .unwrap_or_else(|e| panic!("{pair}: ocireg copy: {e}"));

    // The results agree.
    let outcome = {
        let our_raw = raw_manifest(&ours);
        let their_raw = raw_manifest(&theirs);
        assert_eq!(our_raw, their_raw, "{pair}: raw manifests");
        let digest = Digest::sha256_of(our_raw.as_bytes());
        // A docker-archive holds no manifest: copy returns the digest of
        // the manifest it moved (skopeo's --digestfile names yet another,
        // the schema 2 manifest it converted to before writing).
        if dst != DockerArchive {
            assert_eq!(written, digest, "{pair}: the digest copy returns");
        }
        match dst {
            Dir => assert_eq!(
                files_of(&path_of(&ours)),
                files_of(&path_of(&theirs)),
                "{pair}: files"
            ),
            Oci => assert_eq!(
                layout_files(&path_of(&ours)),
                layout_files(&path_of(&theirs)),
                "{pair}: layout files"
            ),
            OciArchive => assert_eq!(
                layout_files(&untar(
                    &path_of(&ours),
                    &work.join(format!("{pair}-ours-x"))
                )),
                layout_files(&untar(
                    &path_of(&theirs),
                    &work.join(format!("{pair}-theirs-x"))
                )),
                "{pair}: archived layout files"
            ),
            DockerArchive => assert_eq!(
                saved_images(&path_of(&ours), &work.join(format!("{pair}-ours-x"))),
                saved_images(&path_of(&theirs), &work.join(format!("{pair}-theirs-x"))),
                "{pair}: the config and layer files of the docker-archives"
            ),
            Docker => {}
        }
        Outcome::DigestEqual
    };

    // skopeo reads ocireg's result (and copies it), ocireg reads skopeo's.
    let reread = format!(
        "dir:{}",
        work.join(format!("{pair}-ours-by-skopeo")).display()
    );
    skopeo_copy(&ours, &reread, input.skopeo_options());
    assert_eq!(
        raw_manifest(&reread),
        raw_manifest(&ours),
        "{pair}: skopeo's copy of ocireg's result"
    );
    client
        .source_manifest(&name(&ours), &ImageOptions::default())
        .await
        .unwrap_or_else(|e| panic!("{pair}: ocireg reading its own result: {e}"));
    let their_manifest = client
        .source_manifest(&name(&theirs), &ImageOptions::default())
        .await
        .unwrap_or_else(|e| panic!("{pair}: ocireg reading skopeo's result: {e}"));
    assert_eq!(
        their_manifest.bytes.as_ref(),
        raw_manifest(&theirs).as_bytes(),
        "{pair}: ocireg reads skopeo's manifest"
    );
    let info = client
        .inspect_image(&name(&theirs), &OnePlatform.ocireg_options(), false)
        .await
        .unwrap_or_else(|e| panic!("{pair}: ocireg inspect of skopeo's result: {e}"));
    assert_eq!(info.architecture, "amd64", "{pair}");
    let copied = format!(
        "dir:{}",
        work.join(format!("{pair}-theirs-by-ocireg")).display()
    );
    let digest = client
        .copy_image(&name(&theirs), &name(&copied), &options)
        .await
        .unwrap_or_else(|e| panic!("{pair}: ocireg copying skopeo's result: {e}"));
    assert_eq!(
        digest, their_manifest.digest,
        "{pair}: ocireg's copy of skopeo's result keeps its digest"
    );

    // umoci unpacks the layouts and oci-archives ocireg wrote.
    let scratch = work.join(format!("{pair}-umoci"));
    std::fs::create_dir_all(&scratch).expect("scratch directory");
    match dst {
        Oci => umoci_unpacks(&path_of(&ours), "v1", &scratch),
        OciArchive => {
            let unpacked = untar(&path_of(&ours), &scratch.join("archive"));
            umoci_unpacks(&unpacked, "v1", &scratch);
        }
        _ => {}
    }
    outcome
}

/// Every pair out of `src`, for each input it holds; prints the row.
async fn check_row(src: Transport) {
    let inputs = Inputs::get();
    let client = Client::new(ocireg::ClientOptions {
        insecure_registries: vec![inputs.host().to_string(), inputs.unseen.host().to_string()],
        ..Default::default()
    })
    .expect("client");
    let work = TempDir::new(&format!("square-{}", src.label()));
    let mut row = Vec::new();
    for input in INPUTS {
        if !input.held_by(src) {
            continue;
        }
        for dst in TRANSPORTS {
            let outcome = check_pair(&client, src, dst, input, work.path()).await;
            let expected = if input.is_whole_index() && !dst.holds_index() {
                Outcome::RefusedBySkopeo
            } else {
                Outcome::DigestEqual
            };
            assert_eq!(outcome, expected, "{} -> {}", src.label(), dst.label());
            row.push(format!(
                "{} -> {} ({}): {outcome:?}",
                src.label(),
                dst.label(),
                input.label()
            ));
        }
    }
    eprintln!("{}", row.join("\n"));
}

#[tokio::test]
async fn from_docker() {
    check_row(Docker).await;
}

#[tokio::test]
async fn from_oci() {
    check_row(Oci).await;
}

#[tokio::test]
async fn from_oci_archive() {
    check_row(OciArchive).await;
}

#[tokio::test]
async fn from_docker_archive() {
    check_row(DockerArchive).await;
}

#[tokio::test]
async fn from_dir() {
    check_row(Dir).await;
}

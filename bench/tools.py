"""The command lines of ocireg and its peers (skopeo, crane, regctl, oras)
for each operation the benchmarks compare: pull into an OCI layout, push
from one, copy between registries, digest, tag listing. crane is the one
bench/harness.py installs; regctl and oras come from `make peers`
($(go env GOPATH)/bin)."""

import os
import subprocess
from functools import lru_cache
from pathlib import Path

from harness import CRANE, OCIREG, BenchError, run_quiet

TOOLS = ["ocireg", "crane", "skopeo", "regctl", "oras"]


@lru_cache(maxsize=None)
def go_bin():
    gobin = run_quiet(["go", "env", "GOBIN"]).strip()
    return Path(gobin) if gobin else Path(run_quiet(["go", "env", "GOPATH"]).strip()) / "bin"


def peer(name):
    path = go_bin() / name
    if not path.exists():
        raise BenchError(f"{path} is missing: run `make peers`")
    return str(path)


class Tools:
    """The command line of each tool for each operation (None: the tool has
    no such operation). regctl reads its registry settings from $HOME."""

    def __init__(self, home):
        self.home = home

    def env(self):
        return dict(os.environ, HOME=str(self.home), DOCKER_CONFIG=str(self.home / ".docker"))

    def regctl_plain(self, host):
        subprocess.run([peer("regctl"), "registry", "set", host, "--tls", "disabled"],
                       check=True, env=self.env(), stdout=subprocess.DEVNULL)

    def pull(self, tool, ref, out):
        return {
            "ocireg": [str(OCIREG), "--insecure-registry", ref.split("/")[0], "pull", ref,
                       str(out)],
            "skopeo": ["skopeo", "copy", "-q", "--insecure-policy", "--src-tls-verify=false",
                       "--preserve-digests", f"docker://{ref}", f"oci:{out}:latest"],
            "crane": [str(CRANE), "pull", "--insecure", "--format=oci", ref, str(out)],
            "regctl": [peer("regctl"), "image", "copy", ref, f"ocidir://{out}:latest"],
            "oras": [peer("oras"), "copy", "--from-plain-http", ref, "--to-oci-layout",
                     f"{out}:latest"],
        }[tool]

    def push(self, tool, layout, ref):
        return {
            "ocireg": [str(OCIREG), "--insecure-registry", ref.split("/")[0], "push",
                       f"{layout}:latest", ref],
            "skopeo": ["skopeo", "copy", "-q", "--insecure-policy", "--dest-tls-verify=false",
                       "--preserve-digests", f"oci:{layout}:latest", f"docker://{ref}"],
            "crane": [str(CRANE), "push", "--insecure", str(layout), ref],
            "regctl": [peer("regctl"), "image", "copy", f"ocidir://{layout}:latest", ref],
            "oras": [peer("oras"), "copy", "--from-oci-layout", f"{layout}:latest",
                     "--to-plain-http", ref],
        }[tool]

    def copy(self, tool, src, dst):
        hosts = [src.split("/")[0], dst.split("/")[0]]
        return {
            "ocireg": [str(OCIREG), "--insecure-registry", hosts[0], "--insecure-registry",
                       hosts[1], "copy", src, dst],
            "skopeo": ["skopeo", "copy", "-q", "--insecure-policy", "--src-tls-verify=false",
                       "--dest-tls-verify=false", "--preserve-digests", f"docker://{src}",
                       f"docker://{dst}"],
            "crane": [str(CRANE), "copy", "--insecure", src, dst],
            "regctl": [peer("regctl"), "image", "copy", src, dst],
            "oras": [peer("oras"), "copy", "--from-plain-http", "--to-plain-http", src, dst],
        }[tool]

    def digest(self, tool, ref):
        return {
            "ocireg": [str(OCIREG), "--insecure-registry", ref.split("/")[0], "digest", ref],
            "skopeo": ["skopeo", "inspect", "--tls-verify=false", "--format", "{{.Digest}}",
                       f"docker://{ref}"],
            "crane": [str(CRANE), "digest", "--insecure", ref],
            "regctl": [peer("regctl"), "image", "digest", ref],
            "oras": [peer("oras"), "resolve", "--plain-http", ref],
        }[tool]

    def tags(self, tool, repo):
        return {
            "ocireg": [str(OCIREG), "--insecure-registry", repo.split("/")[0], "tags", repo],
            "skopeo": ["skopeo", "list-tags", "--tls-verify=false", f"docker://{repo}"],
            "crane": [str(CRANE), "ls", "--insecure", repo],
            "regctl": [peer("regctl"), "tag", "ls", repo],
            "oras": [peer("oras"), "repo", "tags", "--plain-http", repo],
        }[tool]



def peer_versions():
    """The versions of the peers from `make peers`."""
    return {
        "regctl": run_quiet([peer("regctl"), "version", "--format", "{{.VCSTag}}"]).strip(),
        "oras": run_quiet([peer("oras"), "version"]).splitlines()[0].split()[-1],
    }

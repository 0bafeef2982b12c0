"""The demo: Label Studio + the FiftyOne App with this plugin, on real photos.

Run through ``bash scripts/demo.sh`` (which installs what is missing first).
Starts a local Label Studio (SQLite), builds the ``labelstudio-demo``
dataset from photographs that ship inside scikit-image (a ``ground_truth``
and a ``predictions`` field), starts the FiftyOne App and a delegated-
operation worker with this plugin loaded, prints the URLs and the Label
Studio login, and stops everything on Ctrl-C.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOME = os.environ.get(
    "FIFTYONE_LABELSTUDIO_HOME",
    os.path.expanduser("~/.local/share/fiftyone-labelstudio"),
)
DATASET_NAME = "labelstudio-demo"
FIFTYONE_CLI = os.path.join(os.path.dirname(sys.executable), "fiftyone")

sys.path.insert(0, os.path.join(REPO, "scripts"))
import ls_server  # noqa: E402

# Hand-drawn boxes on skimage's photos: [label, [x, y, w, h] relative]
GROUND_TRUTH = {
    "astronaut": [
        ["person", [0.27, 0.03, 0.60, 0.97]],
        ["helmet", [0.30, 0.0, 0.34, 0.42]],
        ["flag", [0.0, 0.0, 0.24, 0.62]],
    ],
    "coffee": [
        ["cup", [0.17, 0.04, 0.69, 0.80]],
        ["spoon", [0.37, 0.55, 0.43, 0.35]],
    ],
    "chelsea": [["cat", [0.18, 0.0, 0.70, 1.0]]],
    "rocket": [["rocket", [0.40, 0.10, 0.21, 0.62]]],
    "motorcycle_left": [["motorcycle", [0.12, 0.10, 0.78, 0.86]]],
}


def photo_path(name: str) -> str:
    """Path of one of skimage's bundled photographs (no download)."""
    import importlib.util

    root = importlib.util.find_spec("skimage").submodule_search_locations[0]
    ext = "jpg" if name == "rocket" else "png"
    return os.path.join(root, "data", "%s.%s" % (name, ext))


CONFIG_CLS = "fiftyone_labelstudio.backend.LabelStudioBackendConfig"


def python_recipe(url: str, api_key: str) -> str:
    """What to paste into another shell to run FiftyOne's Label Studio
    recipe from Python against the demo server (its own demo token)."""
    return (
        "  From Python (FiftyOne's Label Studio recipe), in another shell:\n"
        "    export FIFTYONE_LABELSTUDIO_URL=%s\n"
        "    export FIFTYONE_LABELSTUDIO_API_KEY=%s\n"
        "    export FIFTYONE_LABELSTUDIO_CONFIG_CLS=%s\n"
        "    %s -c 'import fiftyone as fo; "
        'ds = fo.load_dataset("%s"); '
        'ds.annotate("py_run", backend="labelstudio", '
        'label_field="ground_truth", launch_editor=True)\'\n'
        % (url, api_key, CONFIG_CLS, sys.executable, DATASET_NAME)
    )


def step(msg: str) -> None:
    print("==> [%s] %s" % (time.strftime("%H:%M:%S"), msg), flush=True)


def free_port(preferred: int) -> int:
    with socket.socket() as s:
        if s.connect_ex(("127.0.0.1", preferred)) != 0:
            return preferred
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_dataset(image_dir: str):
    import numpy as np
    import fiftyone as fo
    from PIL import Image

    if fo.dataset_exists(DATASET_NAME):
        return fo.load_dataset(DATASET_NAME)

    os.makedirs(image_dir, exist_ok=True)
    rng = np.random.default_rng(51)
    samples = []
    for name, boxes in GROUND_TRUTH.items():
        path = os.path.join(image_dir, name + ".jpg")
        Image.open(photo_path(name)).convert("RGB").save(path)
        gt = [fo.Detection(label=l, bounding_box=b) for l, b in boxes]
        preds = []
        for label, (x, y, w, h) in boxes:
            dx, dy = rng.normal(0, 0.02, 2)
            preds.append(
                fo.Detection(
                    label=label,
                    bounding_box=[
                        float(np.clip(x + dx, 0, 1 - w)),
                        float(np.clip(y + dy, 0, 1 - h)),
                        w,
                        h,
                    ],
                    confidence=float(rng.uniform(0.5, 0.99)),
                )
            )
        samples.append(
            fo.Sample(
                filepath=path,
                ground_truth=fo.Detections(detections=gt),
                predictions=fo.Detections(detections=preds),
            )
        )
    dataset = fo.Dataset(DATASET_NAME, persistent=True)
    dataset.add_samples(samples)
    dataset.default_classes = sorted(
        {label for boxes in GROUND_TRUTH.values() for label, _ in boxes}
    )
    dataset.compute_metadata()
    dataset.save()
    return dataset


def wait_http(url: str, timeout: float, procs) -> bool:
    deadline = time.time() + timeout
    while time.time() < deadline:
        for p in procs:
            if p.poll() is not None:
                return False
        try:
            with urllib.request.urlopen(url, timeout=3) as r:
                if r.status == 200:
                    return True
        except Exception:
            pass
        time.sleep(1)
    return False


def main() -> int:
    ls_port = free_port(int(os.environ.get("DEMO_LS_PORT", "8080")))
    app_port = free_port(int(os.environ.get("DEMO_APP_PORT", "5151")))
    ls_dir = os.path.join(HOME, "demo-label-studio")
    plugins_dir = os.path.join(HOME, "demo-plugins")
    os.makedirs(plugins_dir, exist_ok=True)
    link = os.path.join(plugins_dir, "fiftyone-labelstudio")
    if os.path.islink(link) or os.path.exists(link):
        os.remove(link)
    os.symlink(REPO, link)

    ls_server.stop(ls_dir)  # a leftover from an interrupted demo
    step("starting Label Studio on port %d" % ls_port)
    ls = ls_server.start(
        ls_port, ls_dir, files_root=os.path.join(ls_dir, "files")
    )
    env = dict(os.environ)
    env.update(
        FIFTYONE_PLUGINS_DIR=plugins_dir,
        FIFTYONE_LABELSTUDIO_URL=ls["url"],
        FIFTYONE_LABELSTUDIO_API_KEY=ls["token"],
        FIFTYONE_LABELSTUDIO_CONFIG_CLS=CONFIG_CLS,
        FIFTYONE_ALLOW_LEGACY_ORCHESTRATORS="true",
        FIFTYONE_DO_NOT_TRACK="true",
        FIFTYONE_DATABASE_VALIDATION="false",
    )
    os.environ.update(env)

    procs = []
    try:
        step("building the demo dataset (first run starts MongoDB)")
        dataset = build_dataset(os.path.join(HOME, "demo-images"))
        step("dataset %r: %d samples" % (dataset.name, len(dataset)))

        step("starting the FiftyOne App on port %d" % app_port)
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "fiftyone.server.main",
                    "--port",
                    str(app_port),
                    "--address",
                    "127.0.0.1",
                ],
                env=env,
                start_new_session=True,
            )
        )
        step("starting the delegated-operation worker")
        procs.append(
            subprocess.Popen(
                [FIFTYONE_CLI, "delegated", "launch"],
                env=env,
                start_new_session=True,
                stdout=subprocess.DEVNULL,
            )
        )
        app_url = "http://127.0.0.1:%d" % app_port
        if not wait_http(app_url, 120, procs[:1]):
            step("the FiftyOne App did not start")
            return 1
        print(
            "\n  FiftyOne App:  %s/datasets/%s\n"
            "  Label Studio:  %s  (login %s / %s)\n"
            "  Plugin:        @fiftyone-labelstudio/labelstudio "
            "(press ` in the App, or open the 'Label Studio runs' panel)\n"
            "\n%s"
            "\n  Press Ctrl-C to stop everything.\n"
            % (
                app_url,
                DATASET_NAME,
                ls["url"],
                ls["username"],
                ls["password"],
                python_recipe(ls["url"], ls["token"]),
            ),
            flush=True,
        )
        while all(p.poll() is None for p in procs):
            time.sleep(1)
        step("a server exited; stopping")
        return 1
    except KeyboardInterrupt:
        step("stopping")
        return 0
    finally:
        for p in procs:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
        ls_server.stop(ls_dir)
        step("stopped")


if __name__ == "__main__":

    def _interrupt(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _interrupt)
    sys.exit(main())

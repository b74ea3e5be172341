"""``ldlkit fit``, ``predict``, ``serve`` and ``compact``: subcommand builders for ``ldlkit.cli``.

Each builder has the signature of the builders in ``ldlkit.cli.COMMANDS``. Nothing heavy is
imported here at module level: the web framework and the estimators are imported by the handlers.
"""

from __future__ import annotations

import argparse
import gc
import ipaddress
import sys


def _fit(args: argparse.Namespace) -> int:
    from .._spec import is_label_enhancer, parse_method_spec, resolve_methods
    from ..base import all_estimators
    from ..cli._common import _check_extras, _load_data
    from ..enhancement import EnhancedLDL
    from ._persistence import save_model

    name, params = parse_method_spec(args.method)
    (estimator,) = resolve_methods([(name, params)]).values()
    if is_label_enhancer(estimator):
        raise ValueError(
            f"--method {name} is a label enhancer; `ldlkit fit` saves label distribution learners. "
            f"To learn from 0/1 logical labels, give it as --enhancer {name} with an LDL learner "
            "as --method (e.g. --enhancer GLLE --method AAKNN)."
        )
    if args.enhancer is not None:
        enhancer_name, enhancer_params = parse_method_spec(args.enhancer)
        (enhancer,) = resolve_methods([(enhancer_name, enhancer_params)]).values()
        if not is_label_enhancer(enhancer):
            raise ValueError(
                f"--enhancer {enhancer_name} is not a label enhancer; label enhancers: "
                f"{', '.join(n for n, _ in all_estimators('le'))}."
            )
        estimator = EnhancedLDL(enhancer=enhancer, estimator=estimator)
    _check_extras({name: estimator})
    # One loader for every command (ldlkit.datasets.load_dataset); with --enhancer the labels
    # are 0/1 logical labels.
    bunch = _load_data(
        args.data if args.dataset is None else args.dataset,
        data_home=args.data_home,
        labels=args.labels,
        renormalize=args.renormalize,
        logical=args.enhancer is not None,
    )
    X, D = bunch.features, bunch.labels
    source = str(args.data) if args.dataset is None else bunch.name
    estimator.fit(X, D)  # the loader has checked (and with --renormalize, rescaled) D
    header = save_model(estimator, args.out, training_data=(X, D))
    print(
        f"saved {type(estimator).__name__} fitted on {source} ({len(X)} rows, "
        f"{header.get('n_features')} features, {header.get('n_labels')} labels) to {args.out}"
    )
    return 0


def _add_fit(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "fit",
        help="fit a method on a dataset or a data file and save the model",
        description="Fit one method and save it as an ldlkit model file (docs/deploy.md). "
        "Training files are read as by every ldlkit command (docs/datasets.md): .mat or .npz "
        "with features/labels (or X/D), or .csv with the label degrees last (a label_<name> "
        "header, or --labels N). With --enhancer the labels are 0/1 logical labels: the "
        "enhancer recovers distributions and --method learns from them (EnhancedLDL).",
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--dataset", metavar="NAME", help="a registered dataset or 'artificial'")
    source.add_argument("--data", metavar="FILE", help="training data (.mat, .npz or .csv)")
    parser.add_argument("--labels", type=int, default=None, metavar="L",
                        help="CSV without a label_<name> header: the last L columns are the "
                        "label distribution")  # fmt: skip
    parser.add_argument("--method", required=True, metavar="SPEC",
                        help="estimator and parameters, as in `ldlkit run --methods`: "
                        "UAKNN:k=10,random_state=0")  # fmt: skip
    parser.add_argument("--enhancer", default=None, metavar="SPEC",
                        help="train on 0/1 logical labels: this label enhancer (GLLE, KM, LP, "
                        "...; Name:param=value) recovers distributions for --method to learn "
                        "(ldlkit.enhancement.EnhancedLDL)")  # fmt: skip
    parser.add_argument("--out", required=True, metavar="MODEL", help="model file to write")
    parser.add_argument("--renormalize", action="store_true",
                        help="divide label rows that do not sum to 1 by their sum")  # fmt: skip
    parser.add_argument("--data-home", default=None, help="an extra folder to look in")
    parser.set_defaults(handler=_fit)


def _predict(args: argparse.Namespace) -> int:
    from ..cli._common import _load_features
    from ._io import write_predictions
    from ._persistence import load_model

    model = load_model(args.model)
    X = _load_features(args.data, labels=args.labels, n_features=model.n_features_in_)
    P = model.predict(X)
    write_predictions(args.out, P)
    print(f"wrote {len(P)} distributions over {P.shape[1]} labels to {args.out}")
    return 0


def _add_predict(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "predict",
        help="predict label distributions with a saved model",
        description="Predict with a model file from `ldlkit fit`. Input: the files every "
        "command reads (.mat or .npz with features or X, .csv; labels are dropped), or .npy; "
        "output by extension: .csv, .npy or .npz (array P). Loading a model file runs no code "
        "from it (arrays and plain data, no pickle).",
    )
    parser.add_argument("model", metavar="MODEL")
    parser.add_argument("--data", required=True, metavar="FILE", help="feature rows")
    parser.add_argument("--labels", type=int, default=None, metavar="L",
                        help="CSV only: drop the last L columns (a training CSV without a "
                        "label_<name> header; label_ columns are always dropped)")  # fmt: skip
    parser.add_argument("--out", required=True, metavar="FILE", help="predictions to write")
    parser.set_defaults(handler=_predict)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _bind_socket(host: str, port: int):
    """A listening socket on ``host:port``, or one clear error (bad host, port in use)."""
    import socket

    if not 0 <= port <= 65535:
        raise ValueError(f"--port {port} is not a TCP port (0-65535).")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as exc:
        raise ValueError(
            f"--host {host!r} is not an address or a known host name ({exc})."
        ) from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        import errno

        if exc.errno == errno.EADDRINUSE:
            raise OSError(
                f"port {port} on {host} is already in use (another server?); stop it or pass "
                "another --port."
            ) from None
        raise OSError(f"cannot listen on {host}:{port} ({exc.strerror or exc}).") from None
    sock.set_inheritable(True)
    return sock


def _serve(args: argparse.Namespace) -> int:
    try:
        import uvicorn
    except ImportError as exc:
        raise ImportError(
            "ldlkit serve needs FastAPI and uvicorn: `pip install 'ldlkit[serve]'`."
        ) from exc
    from ._server import API_KEY_ENV, api_key_from_env, create_app
    from ._service import ModelService

    api_key = api_key_from_env()
    if not _is_loopback(args.host) and api_key is None and not args.allow_open_writes:
        raise ValueError(
            f"--host {args.host} is reachable from other machines and {API_KEY_ENV} is not set: "
            f"anyone could change the model. Set {API_KEY_ENV}, or pass --allow-open-writes."
        )
    if args.blas_threads:
        # Requests run in parallel threads; a multi-threaded BLAS inside each of them
        # oversubscribes the cores (measured on 2 cores: 6 vs 84 one-row UAKNN predicts/s).
        from threadpoolctl import threadpool_limits  # a dependency of scikit-learn

        threadpool_limits(args.blas_threads)
    # Requests carry rows, not column names: a model fitted on a DataFrame would warn on each.
    import warnings

    warnings.filterwarnings("ignore", message=".*does not have valid feature names")
    # The address is taken before the model is loaded: a port in use or a bad --host is one
    # line and status 2, not a "serving ..." line followed by uvicorn's own error.
    sock = _bind_socket(args.host, args.port)
    try:
        service = ModelService(
            args.model, args.log, predict_slots=args.predict_threads, new_log=args.new_log
        )
    except BaseException:
        sock.close()
        raise
    app = create_app(
        service, api_key=api_key, max_body_bytes=args.max_body_mb * 1024 * 1024,
        max_rows=args.max_rows,
    )  # fmt: skip
    info = service.describe()
    port = sock.getsockname()[1]
    print(
        f"ldlkit: serving {info['method']} ({info.get('n_rows')} rows) from {args.model} on "
        f"http://{args.host}:{port} (docs at /docs); update log {service.log_path}, "
        f"{service.replayed} entries replayed; writes "
        f"{'need ' + API_KEY_ENV if api_key else 'open (no ' + API_KEY_ENV + ')'}",
        file=sys.stderr,
        flush=True,
    )
    config = uvicorn.Config(app, host=args.host, port=port, log_level=args.log_level,
                            access_log=args.access_log)  # fmt: skip
    config.load()  # import the protocol modules now, so the freeze below covers them
    # A full garbage collection walks every live object: with the libraries and the model
    # loaded that is ~120,000 objects and 100-130 ms with the GIL held, which stalled all
    # requests (the p99 of 1-row predicts went from 16 to 112 ms in benchmarks/serve_load.py).
    # What exists now lives as long as the server, so move it out of the collector's sight.
    gc.collect()
    gc.freeze()
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        service.close()
        sock.close()
    return 0


def _add_serve(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "serve",
        help="serve a saved model over HTTP (predict, append and remove rows)",
        description="Serve a model file over an HTTP JSON API (docs/deploy.md; needs the serve "
        "extra). Appended rows are committed to an SQLite update log before they are "
        "acknowledged and replayed on restart. Writes need the LDLKIT_API_KEY key when it is set.",
    )
    parser.add_argument("model", metavar="MODEL")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    parser.add_argument("--port", type=int, default=8000, help="TCP port (0: any free one)")
    parser.add_argument("--log", default=None, metavar="FILE",
                        help="SQLite update log (default MODEL.updates.sqlite)")  # fmt: skip
    parser.add_argument("--new-log", action="store_true",
                        help="start a new, empty log on purpose: the model file's own log (if "
                        "it had one) is no longer replayed")  # fmt: skip
    parser.add_argument("--max-rows", type=int, default=10_000, help="rows per request at most")
    parser.add_argument("--max-body-mb", type=int, default=32, help="request body limit (MiB)")
    parser.add_argument("--predict-threads", type=int, default=None, metavar="N",
                        help="predictions computed at once (default: number of CPUs)")  # fmt: skip
    parser.add_argument("--blas-threads", type=int, default=1, metavar="N",
                        help="BLAS threads per prediction (default 1; 0: as is)")  # fmt: skip
    parser.add_argument("--allow-open-writes", action="store_true",
                        help="bind a non-loopback address without an API key")  # fmt: skip
    parser.add_argument("--log-level", default="warning",
                        choices=("critical", "error", "warning", "info", "debug"))  # fmt: skip
    parser.add_argument("--access-log", action="store_true", help="log every request")
    parser.set_defaults(handler=_serve)


def _compact(args: argparse.Namespace) -> int:
    from ._service import compact

    header = compact(args.model, args.log, args.out)
    out = args.out or args.model
    print(
        f"folded {header['replayed']} log entries into {out} ({header.get('n_rows')} rows); "
        f"the log now extends {out}"
    )
    return 0


def _add_compact(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "compact",
        help="fold a served model's update log into a new model file",
        description="Replay the update log onto the model and write the result atomically "
        "(to --out, default MODEL itself); the log is then bound to the new file.",
    )
    parser.add_argument("model", metavar="MODEL")
    parser.add_argument("--log", default=None, metavar="FILE",
                        help="update log (default MODEL.updates.sqlite)")  # fmt: skip
    parser.add_argument("--out", default=None, metavar="MODEL", help="new model file")
    parser.set_defaults(handler=_compact)


def _convert(args: argparse.Namespace) -> int:
    from ._persistence import convert_model

    header = convert_model(args.model, args.out, trust=args.trust)
    print(
        f"converted {header['method']['class']} to model file format {header['format']} in "
        f"{args.out or args.model} (model id kept: an update log bound to it still applies)"
    )
    return 0


def _add_convert(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "convert-model",
        help="rewrite a trusted pickle-based model file (format 1) in the current format",
        description="Model files of format 1 are pickles, which run code when loaded; ldlkit "
        "refuses to load them. This command unpickles one (so: only a file you made yourself) "
        "and writes it as arrays and plain data, keeping its model id and log binding.",
    )
    parser.add_argument("model", metavar="MODEL")
    parser.add_argument("--out", default=None, metavar="MODEL", help="new file (default MODEL)")
    parser.add_argument("--trust", action="store_true", required=True,
                        help="confirm the file is yours: converting runs its code")  # fmt: skip
    parser.set_defaults(handler=_convert)


#: Registered in ``ldlkit.cli.COMMANDS``.
DEPLOY_COMMANDS = [_add_fit, _add_predict, _add_serve, _add_compact, _add_convert]

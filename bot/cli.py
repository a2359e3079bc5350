"""Command line: python -m bot <command>."""
import argparse
import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import List, Optional


def _check_kb(args) -> int:
    from bot.knowledge import KnowledgeBaseError, load_knowledge_base
    from bot.settings import get_settings

    directory = args.directory or get_settings().knowledge_base_dir
    try:
        kb = load_knowledge_base(directory)
    except KnowledgeBaseError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"knowledge base OK: {len(kb.products)} products, {len(kb.categories)} categories, "
          f"{len(kb.shipping.regions)} shipping regions")
    return 0


def _seed(args) -> int:
    from datetime import datetime

    from bot.db import create_schema, get_engine, session_scope
    from bot.db.seed import seed
    from bot.desk.canned import load_seed, seed_if_empty
    from bot.knowledge import get_knowledge

    engine = get_engine(args.database_url)
    create_schema(engine)
    today = date.fromisoformat(args.today) if args.today else date.today()
    with session_scope(engine) as session:
        summary = seed(session, get_knowledge().kb, today)
        canned_replies = seed_if_empty(session, replies=load_seed(), now=datetime.utcnow())
    print(json.dumps({"customers": summary.customers, "orders": summary.orders, "by_status": summary.by_status,
                      "canned_replies_added": canned_replies}))
    return 0


def _init_db(args) -> int:
    """Upgrade the schema through the migrations (a database made before them is adopted with its
    rows), then seed only when the database has no orders yet (keeps real data)."""
    from sqlalchemy import func, select
    from sqlalchemy.exc import SQLAlchemyError

    from bot.db import Order, get_engine, session_scope
    from bot.db.migrations import MigrationError, upgrade

    engine = get_engine(args.database_url)
    try:
        print(upgrade(engine).describe())
    except (MigrationError, SQLAlchemyError) as error:
        print(f"database not upgraded: {error}", file=sys.stderr)
        return 1
    with session_scope(engine) as session:
        count = session.execute(select(func.count(Order.id))).scalar_one()
    if count:
        print(f"database ready: {count} orders")
        return 0
    return _seed(args)


def _train(args) -> int:
    from bot.training import train_if_changed

    train_if_changed(force=args.force)
    return 0


def _serve_actions(args) -> int:
    """The action server, after the knowledge base passed validation (a broken file stops it here)."""
    from bot.knowledge import KnowledgeBaseError, get_knowledge
    from bot.orders.masking import install_log_masking
    from bot.settings import get_settings

    try:
        get_knowledge()
    except KnowledgeBaseError as error:
        print(error, file=sys.stderr)
        return 1
    from bot.action_server import serve

    settings = get_settings()
    settings.require_rasa_token()  # the action token is derived from it
    install_log_masking()
    serve(args.port or settings.action_port, settings.action_token)
    return 0


def _process_alive(pid: int) -> bool:
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _wait_ready(args) -> int:
    from bot.readiness import servers_ready, wait_until
    from bot.settings import get_settings

    settings = get_settings()
    token = settings.require_rasa_token()
    # With --pid (the supervisor's), stop waiting as soon as that process is gone.
    gone = (lambda: not _process_alive(args.pid)) if args.pid else (lambda: False)
    ready = wait_until(lambda: gone() or servers_ready(settings.rasa_url, token, settings.action_port,
                                                       settings.desk_port), timeout=args.timeout)
    return 0 if ready and not gone() else 1


def render_endpoints(target: Path) -> None:
    """endpoints.yml with ${VARIABLES} filled in from the settings (Rasa 3.6 leaves them as text)."""
    import os

    from bot.settings import PROJECT_ROOT, get_settings

    settings = get_settings()
    values = {**os.environ, "ACTION_PORT": str(settings.action_port), "ACTION_TOKEN": settings.action_token}
    template = (PROJECT_ROOT / "endpoints.yml").read_text()
    for key, value in values.items():
        template = template.replace("${" + key + "}", value)
    target.parent.mkdir(parents=True, exist_ok=True)
    # It holds the action server's token: readable by its owner only.
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(template)
    os.chmod(target, 0o600)


def _render_endpoints(args) -> int:
    render_endpoints(Path(args.output))
    return 0


def _serve_rasa(args) -> int:
    """The Rasa server, in the Rasa environment (bot/rasa_server.py serve), with the endpoints rendered
    from the settings here. The process is replaced, so a supervisor sees and signals the Rasa server."""
    from bot.environments import rasa_child_environment, require_rasa_python
    from bot.settings import PROJECT_ROOT, get_settings
    from bot.training import model_path

    get_settings().require_rasa_token()  # fail here, with the settings' own message
    run_dir = Path(args.run_dir) if args.run_dir else PROJECT_ROOT / "var"
    endpoints = run_dir / "endpoints.yml"
    render_endpoints(endpoints)
    model = Path(args.model) if args.model else model_path(PROJECT_ROOT / "models")
    if not model.is_file():
        print(f"{model}: no such model; train one with `make train`", file=sys.stderr)
        return 1
    python = require_rasa_python()
    command = [python, "-m", "bot.rasa_server", "serve", "--model", str(model), "--endpoints", str(endpoints)]
    if args.port:
        command += ["--port", str(args.port)]
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(python, command, rasa_child_environment())


def _init_env(args) -> int:
    """Write .env with random secrets where it lacks them; values already there are kept."""
    import os

    from bot.envfile import ensure_env_file
    from bot.settings import ENV_FILE, read_env_file

    path = Path(args.path) if args.path else ENV_FILE
    environment = {**read_env_file(path), **os.environ}.get("STOREFRONT_ENV", "development")
    added = ensure_env_file(path, environment=environment)
    if added:
        print(f"{path}: wrote {', '.join(added)}")
    return 0


def _supervisor_config(args) -> int:
    from bot.settings import PROJECT_ROOT, get_settings
    from bot.supervision import supervisor_config

    settings = get_settings()
    settings.require_rasa_token()
    run_dir = Path(args.run_dir) if args.run_dir else PROJECT_ROOT / "var"
    log_dir = Path(args.log_dir) if args.log_dir else run_dir / "log"
    output = Path(args.output) if args.output else run_dir / "supervisord.conf"
    for directory in (run_dir, log_dir, output.parent):
        directory.mkdir(parents=True, exist_ok=True)
    output.write_text(supervisor_config(settings, python=sys.executable, run_dir=run_dir, log_dir=log_dir))
    print(output)
    return 0


def _eval_anger(args) -> int:
    """False positives on ordinary messages and detection on angry ones, or a labelled CSV (text,angry)."""
    from bot.handoff.anger import AngerScorer, LexiconError
    from bot.handoff.anger_eval import default_sets, evaluate, precision_recall, read_labelled_csv

    try:
        scorer = AngerScorer.from_file(args.lexicon)
    except LexiconError as error:
        print(error, file=sys.stderr)
        return 1
    if args.file:
        try:
            ordinary, angry = read_labelled_csv(args.file)
        except (OSError, KeyError, UnicodeDecodeError) as error:
            print(f"{args.file}: cannot read a CSV with columns text,angry ({error})", file=sys.stderr)
            return 1
    else:
        ordinary, angry = default_sets()
    report = evaluate(scorer, ordinary, angry)
    figures = report.as_dict()
    figures.update(precision_recall(report))
    if not args.verbose:
        figures["false_positives"] = figures["false_positives"][:10]
        figures["missed"] = figures["missed"][:10]
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    return 0


def _eval_nlu(args) -> int:
    """Intent accuracy, macro F1 and the confused pairs on a CSV (text,intent), as JSON."""
    from bot.nlu_eval import evaluate, load_csv_examples, model_predictor, server_predictor
    from bot.settings import PROJECT_ROOT, get_settings
    from bot.training import model_path

    try:
        examples = load_csv_examples(args.file)
    except (OSError, ValueError) as error:
        print(error, file=sys.stderr)
        return 1
    if args.server:
        predict = server_predictor(args.server.rstrip("/"), get_settings().rasa_token)
    else:
        model = args.model or str(model_path(PROJECT_ROOT / "models"))
        if not Path(model).is_file():
            print(f"{model}: no such model; train one with `make train` or pass --server", file=sys.stderr)
            return 1
        predict = model_predictor(Path(model))
    try:
        report = evaluate(examples, predict)
    except OSError as error:
        print(f"the assistant did not answer: {error}", file=sys.stderr)
        return 1
    print(json.dumps(report.as_dict(), indent=2))
    return 0


def _labelled(engine):
    from bot.db import session_scope
    from bot.trainer.labels import labelled_texts

    with session_scope(engine) as session:
        return labelled_texts(session)


def _export_labels(args) -> int:
    from bot.db import create_schema, get_engine
    from bot.trainer.export import export_labels
    from bot.trainer.paths import TrainingPaths

    engine = get_engine()
    create_schema(engine)
    paths = TrainingPaths()
    report = export_labels(_labelled(engine), nlu_dir=paths.nlu_dir, test_set=paths.test_set,
                           anger_file=paths.anger_file)
    print(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
    return 0


def _evaluate(args) -> int:
    """The model on the test set and on labelled messages it was not trained on; writes a report."""
    from datetime import datetime

    from sqlalchemy.exc import SQLAlchemyError

    from bot.db import create_schema, get_engine
    from bot.nlu_eval import model_predictor
    from bot.settings import PROJECT_ROOT
    from bot.trainer.evaluation import not_trained_on, run_evaluation
    from bot.trainer.paths import TrainingPaths
    from bot.training import MODEL_NAME, model_path

    models = PROJECT_ROOT / "models"
    model = Path(args.model) if args.model else model_path(models)
    if not model.is_file():
        print(f"{model}: no such model; run `make train` first", file=sys.stderr)
        return 1
    stamp = models / f"{MODEL_NAME}.fingerprint"
    version = stamp.read_text().strip()[:12] if stamp.is_file() and not args.model else model.stem
    paths = TrainingPaths()
    reports = Path(args.reports) if args.reports else paths.reports_dir
    try:
        engine = get_engine()
        create_schema(engine)
        labelled = not_trained_on(_labelled(engine), nlu_dir=paths.nlu_dir, test_set=paths.test_set)
    except SQLAlchemyError as error:
        print(f"labelled messages left out: the database did not answer ({error.__class__.__name__})",
              file=sys.stderr)
        labelled = []
    report = run_evaluation(predict=model_predictor(model), test_set=paths.test_set, labelled=labelled,
                            reports_dir=reports, model_version=version, now=datetime.utcnow())
    summary = {"model": version, "report": str(reports / report["folder"]),
               "test_set": {k: report["test_set"][k] for k in ("examples", "accuracy", "macro_f1")},
               "labelled": ({k: report["labelled"][k] for k in ("examples", "accuracy", "macro_f1")}
                            if report["labelled"] else None)}
    print(json.dumps(summary, indent=2))
    return 0


def _user_add(args) -> int:
    """Password from standard input (one line), never from the command line where `ps` shows it."""
    from bot.db import create_schema, get_engine, session_scope
    from bot.db.models import Role
    from bot.desk.accounts import UserExists, create_user
    from bot.desk.passwords import WeakPassword

    if sys.stdin.isatty():
        import getpass

        password = getpass.getpass("password: ")
    else:
        password = sys.stdin.readline().rstrip("\n")
    engine = get_engine()
    create_schema(engine)
    try:
        with session_scope(engine) as session:
            user = create_user(session, email=args.email, password=password, role=Role(args.role), name=args.name)
            print(f"created {user.role.value} {user.email}")
    except (UserExists, WeakPassword, ValueError) as error:
        print(error, file=sys.stderr)
        return 1
    return 0


def _serve_desk(args) -> int:
    from aiohttp import web

    from bot.db import create_schema, get_engine
    from bot.desk.app import create_app
    from bot.desk.assignment import AutoAssign
    from bot.desk.rasa_client import RasaClient
    from bot.desk.storefront import Storefront
    from bot.knowledge import KnowledgeBaseError, get_knowledge
    from bot.orders.masking import install_log_masking
    from bot.settings import get_settings

    settings = get_settings()
    token = settings.require_rasa_token()
    try:
        knowledge = get_knowledge()
    except KnowledgeBaseError as error:
        print(error, file=sys.stderr)
        return 1
    if _sla_rules_broken():
        return 1
    engine = get_engine()
    create_schema(engine)
    install_log_masking()
    storefront = Storefront(knowledge.kb, rasa_public_url=settings.rasa_public_url,
                            identity_secret=settings.identity_secret, demo_sign_in=settings.demo_sign_in)
    app = create_app(engine=engine, rasa=RasaClient(settings.rasa_url, token), knowledge=knowledge,
                     secure_cookies=settings.is_production, storefront=storefront,
                     client_ip_header=settings.client_ip_header, sla_sweep_seconds=settings.sla_sweep_seconds,
                     auto_assign=AutoAssign(settings.auto_assign, settings.agent_open_limit))
    web.run_app(app, host=args.host, port=args.port or settings.desk_port, print=None)
    return 0


def _sla_rules_broken() -> bool:
    """True (the problems printed) when the SLA policy file or the schedule it counts in is broken."""
    from bot.desk.sla_policies import SlaPolicyError, default_rules
    from bot.knowledge import KnowledgeBaseError

    try:
        default_rules()
    except (SlaPolicyError, KnowledgeBaseError) as error:
        print(error, file=sys.stderr)
        return True
    return False


def _sla_sweep(args) -> int:
    """One SLA sweep (python -m bot sla-sweep, e.g. from cron): breaches, alerts, follow-ups due."""
    from datetime import datetime, timezone

    from bot.db import get_engine
    from bot.desk.sla import run_sweep

    if args.at:
        try:
            moment = datetime.fromisoformat(args.at)
        except ValueError:
            print(f"--at must be an ISO time such as 2026-11-23T15:00:00Z, got {args.at!r}", file=sys.stderr)
            return 1
        now = moment.astimezone(timezone.utc).replace(tzinfo=None) if moment.tzinfo else moment
    else:
        now = datetime.utcnow()
    if _sla_rules_broken():
        return 1
    report = run_sweep(get_engine(), now)
    print(json.dumps({"at": now.isoformat() + "Z", **report.as_dict()}))
    return 0


def _demo_agent(args) -> int:
    """In development only: an agent account to try the console with, its password printed once."""
    import secrets

    from sqlalchemy import select

    from bot.db import create_schema, get_engine, session_scope
    from bot.db.models import Role, User
    from bot.desk.accounts import create_user
    from bot.settings import get_settings

    settings = get_settings()
    if settings.environment != "development":
        print("no demo account outside development; create users with: python -m bot user add")
        return 0
    engine = get_engine()
    create_schema(engine)
    with session_scope(engine) as session:
        if session.execute(select(User.id).where(User.role.in_([Role.agent, Role.admin]))).first():
            return 0
        password = secrets.token_urlsafe(9)
        create_user(session, email="agent@storefront.example", password=password, role=Role.agent, name="Alex")
    print(f"demo agent for the console: agent@storefront.example / {password} (shown once)")
    return 0


def _identity_token(args) -> int:
    """A signed identity for a customer, as a logged-in shop would hand it to the widget."""
    from bot.chat.identity import sign_identity
    from bot.settings import get_settings

    secret = get_settings().identity_secret
    if not secret:
        print("SHOP_IDENTITY_SECRET is not set", file=sys.stderr)
        return 1
    print(sign_identity(args.email, secret=secret, lifetime=args.lifetime))
    return 0


def _abandon_stale(args) -> int:
    from datetime import datetime, timedelta

    from bot.db import get_engine, session_scope
    from bot.handoff.queue import abandon_stale

    with session_scope(get_engine()) as session:
        count = abandon_stale(session, older_than=datetime.utcnow() - timedelta(hours=args.hours))
    print(f"{count} waiting ticket(s) older than {args.hours} h marked abandoned")
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    # Databases, logs, the outbox and rendered files the commands create are nobody else's to read.
    os.umask(0o077)
    parser = argparse.ArgumentParser(prog="python -m bot", description="Storefront Assistant tools")
    commands = parser.add_subparsers(dest="command", required=True)

    check = commands.add_parser("check-kb", help="validate knowledge_base/ and report every problem")
    check.add_argument("directory", nargs="?", default=None)
    check.set_defaults(handler=_check_kb)

    for name, handler, text in (("seed", _seed, "replace all orders with the deterministic demo set"),
                                ("init-db", _init_db, "upgrade the schema; seed if there are no orders")):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("--database-url", default=None, help="defaults to DATABASE_URL or var/storefront.db")
        sub.add_argument("--today", default=None, help="anchor date for the demo data (YYYY-MM-DD)")
        sub.set_defaults(handler=handler)

    train = commands.add_parser("train", help="train the Rasa model if data, domain or config changed")
    train.add_argument("--force", action="store_true")
    train.set_defaults(handler=_train)

    actions = commands.add_parser("serve-actions", help="validate the knowledge base, then run the action server")
    actions.add_argument("--port", type=int, default=None)
    actions.set_defaults(handler=_serve_actions)

    wait = commands.add_parser("wait-ready", help="wait until the Rasa server, the action server and the desk answer")
    wait.add_argument("--timeout", type=float, default=120)
    wait.add_argument("--pid", type=int, default=None, help="give up when this process (the supervisor) exits")
    wait.set_defaults(handler=_wait_ready)

    rasa = commands.add_parser("serve-rasa", help="run the Rasa server with the token, CORS origins and port "
                               "from the settings")
    rasa.add_argument("--port", type=int, default=None)
    rasa.add_argument("--model", default=None, help="a model file [models/storefront.tar.gz]")
    rasa.add_argument("--run-dir", default=None, help="where the rendered endpoints.yml goes [var]")
    rasa.set_defaults(handler=_serve_rasa)

    init_env = commands.add_parser("init-env", help="write .env with random secrets where it lacks them")
    init_env.add_argument("--path", default=None, help="the file [.env]")
    init_env.set_defaults(handler=_init_env)

    supervisor = commands.add_parser("supervisor-config", help="write the supervisord configuration of the servers")
    supervisor.add_argument("--output", default=None, help="[RUN_DIR/supervisord.conf]")
    supervisor.add_argument("--run-dir", default=None, help="socket, pid file and rendered files [var]")
    supervisor.add_argument("--log-dir", default=None, help="[RUN_DIR/log]")
    supervisor.set_defaults(handler=_supervisor_config)

    render = commands.add_parser("render-endpoints", help="write endpoints.yml with variables filled in")
    render.add_argument("--output", default="var/endpoints.yml")
    render.set_defaults(handler=_render_endpoints)

    evaluation = commands.add_parser("eval", help="evaluation commands").add_subparsers(dest="what", required=True)
    anger = evaluation.add_parser("anger", help="measure the anger scorer (JSON)")
    anger.add_argument("file", nargs="?", default=None, help="CSV with columns text,angry (1/0); "
                       "default: NLU examples as ordinary messages, tests/handoff/angry_messages.txt as angry, "
                       "plus the trainers' marks in lexicons/anger_labelled.csv when exported")
    anger.add_argument("--lexicon", default=None)
    anger.add_argument("--verbose", action="store_true", help="list every false positive and miss")
    anger.set_defaults(handler=_eval_anger)

    nlu = evaluation.add_parser("nlu", help="intent accuracy on a CSV with columns text,intent (JSON)")
    nlu.add_argument("file")
    where = nlu.add_mutually_exclusive_group()
    where.add_argument("--model", default=None, help="a model file [models/storefront.tar.gz]")
    where.add_argument("--server", default=None, help="a running Rasa server, e.g. http://127.0.0.1:5005")
    nlu.set_defaults(handler=_eval_nlu)

    report = commands.add_parser("evaluate", help="evaluate the model on the test set and labelled messages")
    report.add_argument("--model", default=None, help="a model file [models/storefront.tar.gz]")
    report.add_argument("--reports", default=None, help="where reports go [var/reports]")
    report.set_defaults(handler=_evaluate)

    export = commands.add_parser("export-labels", help="write the trainers' labels to data/nlu/labelled.yml")
    export.set_defaults(handler=_export_labels)

    users = commands.add_parser("user", help="desk users").add_subparsers(dest="what", required=True)
    add = users.add_parser("add", help="create a desk user; the password is read from standard input")
    add.add_argument("email")
    add.add_argument("--role", choices=["agent", "supervisor", "trainer", "admin"], required=True)
    add.add_argument("--name", default=None)
    add.set_defaults(handler=_user_add)

    desk = commands.add_parser("serve-desk", help="run the desk (agent console and its API)")
    desk.add_argument("--host", default="127.0.0.1")
    desk.add_argument("--port", type=int, default=None)
    desk.set_defaults(handler=_serve_desk)

    demo = commands.add_parser("demo-agent", help="development only: create an agent account if there is none")
    demo.set_defaults(handler=_demo_agent)

    identity = commands.add_parser("identity-token", help="sign a customer's identity for the chat widget")
    identity.add_argument("email")
    identity.add_argument("--lifetime", type=int, default=3600, help="seconds until it expires [3600]")
    identity.set_defaults(handler=_identity_token)

    sweep = commands.add_parser("sla-sweep", help="one sweep of the SLA clocks: record breaches, alert "
                                "supervisors, carry out the follow-ups that are due")
    sweep.add_argument("--at", default=None, help="sweep as if it were this time (ISO; naive means UTC) [now]")
    sweep.set_defaults(handler=_sla_sweep)

    tickets = commands.add_parser("tickets", help="ticket queue upkeep").add_subparsers(dest="what", required=True)
    stale = tickets.add_parser("abandon-stale", help="mark waiting tickets nobody took as abandoned")
    stale.add_argument("--hours", type=float, default=24)
    stale.set_defaults(handler=_abandon_stale)

    args = parser.parse_args(argv)
    from bot.environments import RasaEnvironmentMissing
    from bot.settings import SettingsError

    try:
        return args.handler(args)
    except SettingsError as error:
        # A setting that is missing or unsafe stops the command with one line that says which and why.
        print(f"refusing to start: {error}", file=sys.stderr)
        return 2
    except RasaEnvironmentMissing as error:
        print(error, file=sys.stderr)
        return 2

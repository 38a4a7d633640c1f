"""``python3 -m ops postgres …`` (from scripts/): the shared PostgreSQL cluster for CI; prints its URL last."""

import argparse

from . import postgres


def main():
    parser = argparse.ArgumentParser(prog="python3 -m ops")
    commands = parser.add_subparsers(dest="command", required=True)
    pg = commands.add_parser("postgres", help="start the shared cluster and create the role and database")
    pg.add_argument("--cluster", default="main")
    pg.add_argument("--port", type=int, default=5432)
    pg.add_argument("--user", default="campaign")
    pg.add_argument("--password", default="campaign")
    pg.add_argument("--database", default="campaign")
    args = parser.parse_args()
    print(
        postgres.shared(
            user=args.user, password=args.password, database=args.database, name=args.cluster, port=args.port
        )
    )


if __name__ == "__main__":
    main()

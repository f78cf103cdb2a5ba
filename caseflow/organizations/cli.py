from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import func, select

from caseflow.core import db
from caseflow.core.cli import fail_on_problem, finish_import, no_my_number
from caseflow.organizations import rules as org_rules
from caseflow.organizations.directory_import import MODES, import_directory
from caseflow.organizations.imports import import_organizations
from caseflow.organizations.models import Municipality, Organization


@click.group("orgs", cls=AppGroup)
def orgs_group():
    """Organisations."""


@orgs_group.command("create")
@click.option("--code", required=True, help="Short ASCII code, e.g. kmk-chiiki-kyosei")
@click.option("--name", required=True, help="Japanese name, e.g. 鎌倉市 地域共生課", callback=no_my_number)
@click.option("--kind", required=True, help="department, shakyo, npo, association, welfare_corporation, care_center, other")
@click.option("--municipality", "municipality_code", default=None,
              help="Code of its home municipality (needed when the deployment has several)")
@click.option("--parent", "parent_code", default=None, help="Code of the parent organisation (a bureau)")
@with_appcontext
@fail_on_problem
def orgs_create(code, name, kind, municipality_code, parent_code):
    """Register an organisation (in the deployment's only municipality unless --municipality names one)."""

    municipality = org_rules.default_for_new_organization(municipality_code, echo=click.echo)
    org = org_rules.create_organization(code=code, name=name, kind=kind, parent_code=parent_code,
                                       municipality=municipality)
    db.session().commit()
    click.echo(f"created organisation {org.code} ({org.id}) in {municipality.code}")


@orgs_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--municipality", "municipality_code", default=None,
              help="Code of the municipality the organisations are at home in (needed when there are several)")
@click.option("--dry-run", is_flag=True, help="Check every row and report; store nothing")
@with_appcontext
@fail_on_problem
def orgs_import(path, municipality_code, dry_run):
    """Import organisations from a CSV (UTF-8 or Shift_JIS) or .xlsx file: columns コード, 名称, 種別[, 上位組織].
    All or nothing; every bad row is reported; re-importing the same file changes nothing."""

    if municipality_code is None and not db.session().scalar(select(func.count()).select_from(Municipality)):
        raise click.UsageError("自治体がまだありません。先に `caseflow municipalities create` で作成してください。")
    municipality = org_rules.default_for_new_organization(municipality_code)
    report = import_organizations(path, municipality, dry_run=dry_run)
    finish_import(report, dry_run=dry_run, what=f"組織 ({municipality.code})")


@orgs_group.command("directory-import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--municipality", "municipality_code", required=True, help="Code of the municipality whose directory it is")
@click.option("--dry-run", is_flag=True, help="Check every row and report; store nothing")
@click.option("--mode", type=click.Choice(MODES), default="all_or_nothing", show_default=True,
              help="good_rows: store the good rows and report the bad ones")
@with_appcontext
@fail_on_problem
def orgs_directory_import(path, municipality_code, dry_run, mode):
    """Import a municipality's directory of member organisations from the list it keeps (CSV in UTF-8 or
    Shift_JIS, or .xlsx): 団体名, 種別, 分野, 連絡先 (or 電話, メール), 活動地域, 受付時間, ホームページ, 備考.
    Every bad row is reported (line and column); re-importing the same file changes nothing
    (docs/directory-import.md)."""

    municipality = org_rules.get_by_code(municipality_code)
    report = import_directory(path, municipality, dry_run=dry_run, mode=mode)
    what = f"名簿 ({municipality.code})"
    if mode == "good_rows" and not report.ok:
        for line in report.error_lines():
            click.echo(line, err=True)
        prefix = "確認のみ（登録していません）" if dry_run else "誤りのない行を登録しました"
        click.echo(f"{what}: {prefix}: {report.summary()}、誤り {len(report.errors)} 件")
        raise SystemExit(1)
    finish_import(report, dry_run=dry_run, what=what)


@click.group("municipalities", cls=AppGroup)
def municipalities_group():
    """Municipalities (the tenants), their secretariat and memberships (the platform operator's tool)."""


@municipalities_group.command("create")
@click.option("--code", required=True, help="Short ASCII code, e.g. kamakura")
@click.option("--name", required=True, help="Japanese name, e.g. 鎌倉市", callback=no_my_number)
@with_appcontext
@fail_on_problem
def municipalities_create(code, name):
    """Create a municipality."""

    m = org_rules.create_municipality(code=code, name=name)
    db.session().commit()
    click.echo(f"created municipality {m.code} ({m.id})")


@municipalities_group.command("list")
@with_appcontext
def municipalities_list():
    """Every municipality with its secretariat."""
    s = db.session()
    for m in s.scalars(select(Municipality).order_by(Municipality.code)):
        secretariat = s.get(Organization, m.secretariat_org_id) if m.secretariat_org_id else None
        click.echo(f"{m.code}\t{m.name}\tsecretariat={secretariat.code if secretariat else '-'}")


@municipalities_group.command("rename")
@click.option("--code", required=True, help="Current code")
@click.option("--new-code", default=None)
@click.option("--name", default=None, callback=no_my_number)
@with_appcontext
@fail_on_problem
def municipalities_rename(code, new_code, name):
    """Change a municipality's code or name (its district lists follow)."""

    m = org_rules.rename_municipality(org_rules.get_by_code(code), code=new_code, name=name)
    db.session().commit()
    click.echo(f"municipality {m.code}: {m.name}")


@municipalities_group.command("secretariat")
@click.option("--code", required=True, help="Municipality code")
@click.option("--org", "org_code", required=True, help="Code of the organisation that runs the platform (事務局)")
@with_appcontext
@fail_on_problem
def municipalities_secretariat(code, org_code):
    """Name the municipality's secretariat organisation (its `secretariat` users administer the municipality)."""

    m = org_rules.set_secretariat(org_rules.get_by_code(code), org_rules.get_organization_by_code(org_code))
    db.session().commit()
    click.echo(f"secretariat of {m.code}: {org_code}")


@municipalities_group.command("grant-membership")
@click.option("--code", required=True, help="Municipality code")
@click.option("--org", "org_code", required=True, help="Code of an organisation at home elsewhere")
@click.option("--reason", default=None, callback=no_my_number)
@with_appcontext
@fail_on_problem
def municipalities_grant(code, org_code, reason):
    """Let an organisation of another municipality take part in this one."""

    ms = org_rules.grant_membership(org_rules.get_by_code(code), org_rules.get_organization_by_code(org_code), reason=reason)
    db.session().commit()
    click.echo(f"{org_code} is a member of {code} ({ms.id})")

"""Train, inspect and try the category classifier.

  category_model train                        from the platform's tickets: a new active version
  category_model train --csv TRAIN.csv --out MODEL [--unlabelled FILE ...]
  category_model predict --model MODEL --csv TEST.csv    stdout: CSV id,category,confidence
  category_model info                         the active version

The --csv paths read and write files only (no database), for evaluation on plain CSV files.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hotline.errors import DomainError
from intake.classifier.csvfiles import CsvFormatError
from intake.classifier.files import predict_csv, train_from_csv
from intake.classifier.model import ClassifierFormatError
from intake.classifier.training import train_from_tickets
from intake.models import CategoryModel


class Command(BaseCommand):
    help = __doc__
    # The file-based paths must run without database tables.
    requires_system_checks = []

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        train = actions.add_parser("train", help="train a model (from tickets, or from --csv into --out)")
        train.add_argument("--csv", type=Path, help="labelled CSV: id,title,text,created,category")
        train.add_argument("--out", type=Path, help="where to write the model file (with --csv)")
        train.add_argument(
            "--unlabelled", type=Path, nargs="+", default=[], help="CSV files (gzip allowed) with title,text"
        )
        train.add_argument("--max-tickets", type=int, help="from tickets: only the newest N")
        predict = actions.add_parser("predict", help="predict the category of each message of a CSV file")
        predict.add_argument("--model", type=Path, required=True)
        predict.add_argument("--csv", type=Path, required=True)
        actions.add_parser("info", help="show the active model version")

    def handle(self, *args, action: str, **options) -> None:
        try:
            getattr(self, f"_{action}")(**options)
        except (CsvFormatError, ClassifierFormatError, OSError) as error:
            raise CommandError(str(error)) from error

    def _train(
        self, *, csv: Path | None, out: Path | None, unlabelled: list[Path], max_tickets: int | None, **_
    ) -> None:
        if csv is None:
            if out is not None or unlabelled:
                raise CommandError("--out and --unlabelled go with --csv")
            self._train_from_tickets(max_tickets=max_tickets)
            return
        if out is None:
            raise CommandError("--csv needs --out")
        result = train_from_csv(csv_path=csv, out_path=out, unlabelled_paths=unlabelled)
        self.stderr.write(
            f"{out}: {result.labels} categories from {result.labelled} labelled messages, "
            f"{result.unlabelled} unlabelled; {result.artefact_bytes} bytes"
        )

    def _train_from_tickets(self, *, max_tickets: int | None) -> None:
        try:
            category_model = train_from_tickets(max_tickets=max_tickets)
        except DomainError as error:
            raise CommandError(error.message) from error
        self._describe(category_model)

    def _predict(self, *, model: Path, csv: Path, **_) -> None:
        predict_csv(model_path=model, csv_path=csv, out=self.stdout)

    def _info(self, **_) -> None:
        category_model = CategoryModel.objects.defer("artefact").filter(is_active=True).first()
        if category_model is None:
            self.stdout.write("no active category model")
            return
        self._describe(category_model)

    def _describe(self, category_model: CategoryModel) -> None:
        score = "n/a" if category_model.cv_macro_f1 is None else f"{category_model.cv_macro_f1:.3f}"
        by = category_model.trained_by or "schedule"
        self.stdout.write(
            f"active version {category_model.version}: trained {category_model.trained_at:%Y-%m-%d %H:%M} by {by} "
            f"on {category_model.ticket_count} tickets, {category_model.label_count} categories, "
            f"cross-validated macro-F1 {score}"
        )

from django.urls import path
from rest_framework.routers import SimpleRouter

from textbooks.api import alignment_grid, coverage, external, fork_updates, views

router = SimpleRouter()
router.register("textbooks", views.TextbookViewSet, basename="textbook")
router.register("chapters", views.ChapterViewSet, basename="chapter")
router.register("paragraphs", views.ParagraphViewSet, basename="paragraph")
router.register("alignments", views.AlignmentViewSet, basename="alignment")
router.register("external-alignments", external.ExternalAlignmentViewSet, basename="external-alignment")

urlpatterns = [
    *router.urls,
    path(
        "paragraphs/<int:paragraph_id>/outcomes/",
        views.ParagraphOutcomesViewSet.as_view({"get": "list", "put": "replace"}),
        name="paragraph-outcomes",
    ),
    # Under /outcomes/ but served here: curriculum knows nothing of textbooks.
    path(
        "outcomes/<int:outcome_id>/paragraphs/",
        views.OutcomeParagraphsViewSet.as_view({"get": "list"}),
        name="outcome-paragraphs",
    ),
]

# Coverage reports and fork update information (textbooks/api/coverage.py).
urlpatterns += [
    path("textbooks/<int:textbook_id>/coverage/", coverage.coverage_json, name="textbook-coverage"),
    path("textbooks/<int:textbook_id>/coverage/csv/", coverage.coverage_download_csv, name="textbook-coverage-csv"),
    path("textbooks/<int:textbook_id>/coverage/xlsx/", coverage.coverage_download_xlsx, name="textbook-coverage-xlsx"),
    path(
        "textbooks/<int:textbook_id>/external-coverage/", external.ExternalCoverageView.as_view(),
        name="textbook-external-coverage",
    ),
    path("textbooks/<int:textbook_id>/fork-update/", coverage.ForkUpdateView.as_view(), name="textbook-fork-update"),
    # Three-way review and apply (textbooks/api/fork_updates.py).
    path("textbooks/<int:textbook_id>/fork-update/review/", fork_updates.ForkReviewView.as_view(), name="textbook-fork-review"),
    path("textbooks/<int:textbook_id>/fork-update/apply/", fork_updates.ForkApplyView.as_view(), name="textbook-fork-apply"),
]

# Alignment in bulk (textbooks/api/alignment_grid.py).
urlpatterns += [
    path("textbooks/<int:textbook_id>/alignments/bulk/", alignment_grid.bulk_align, name="textbook-alignments-bulk"),
]

from rest_framework.routers import SimpleRouter

from curriculum.api import views

router = SimpleRouter()
router.register("subjects", views.SubjectViewSet, basename="subject")
router.register("frameworks", views.FrameworkViewSet, basename="framework")
router.register("sections", views.SectionViewSet, basename="section")
router.register("subsections", views.SubsectionViewSet, basename="subsection")
router.register("outcomes", views.LearningOutcomeViewSet, basename="outcome")
router.register("crosswalks", views.CrosswalkViewSet, basename="crosswalk")

urlpatterns = router.urls

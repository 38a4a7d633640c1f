from django.urls import path

from petitions import api, cards, embed, update_pages, views

app_name = "petitions"

urlpatterns = [
    path("petition/", views.featured_petition, name="featured"),
    path("petitions/<slug:slug>/", views.petition_detail, name="detail"),
    path("petitions/<slug:slug>/thanks/", views.petition_thanks, name="thanks"),
    path("petitions/<slug:slug>/confirm/<str:token>/", views.petition_confirm, name="confirm"),
    path("petitions/<slug:slug>/withdraw/<str:token>/", views.petition_withdraw, name="withdraw"),
    path("petitions/<slug:slug>/updates/feed/", update_pages.update_feed, name="update-feed"),
    path("petitions/<slug:slug>/countries/", api.petition_countries, name="countries"),
    path("petitions/<slug:slug>/card.png", cards.social_card, name="card"),
    # The embeddable petition for coalition members' sites, and the page that explains it.
    path("embed/", embed.embed_help, name="embed-help"),
    path("embed/<slug:slug>/", embed.petition_embed, name="embed"),
    path("embed/<slug:slug>/thanks/", embed.petition_embed_thanks, name="embed-thanks"),
    path("figures/<str:token>/", views.member_figures, name="member-figures"),
]

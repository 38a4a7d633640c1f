"""Views of the campaign app: site-wide pieces, content pages, the petition."""

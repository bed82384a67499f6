"""HTML page chrome for ``render.py``: the boilerplate a real agency web page wraps around news.

The navigation, cookie banner, breadcrumb, "related news" sidebar and footer are there on purpose:
the HTML reader must keep only the article, as it would on a page saved from the web.
"""

from __future__ import annotations

import html
import zlib
from typing import Any

TEXT: dict[str, dict[str, Any]] = {
    "es": {
        "menu": ["Inicio", "Quiénes somos", "Programas", "Noticias", "Publicaciones", "Contacto"],
        "cookies": "Este sitio utiliza cookies propias y de terceros para mejorar su experiencia de "
        "navegación. Al continuar, acepta su uso.",
        "accept": "Aceptar",
        "crumb": ["Inicio", "Sala de prensa", "Noticias"],
        "related": "Noticias relacionadas",
        "published": "Publicado el",
        "share": "Compartir en redes sociales",
        "rights": "Todos los derechos reservados.",
        "legal": "Aviso legal · Política de privacidad · Accesibilidad",
        "news": [
            "Taller regional sobre análisis de riesgo en pasos de frontera",
            "Nueva guía de buenas prácticas para el control migratorio",
            "Reunión del comité de seguimiento del programa en Lima",
            "Capacitación en detección de documentos falsos para agentes de frontera",
            "Entrega de equipamiento a unidades de control fronterizo",
        ],
    },
    "pt": {
        "menu": ["Início", "Institucional", "Programas", "Notícias", "Publicações", "Fale conosco"],
        "cookies": "Utilizamos cookies para melhorar a sua experiência. Ao continuar navegando, você "
        "concorda com a nossa política de privacidade.",
        "accept": "Aceitar",
        "crumb": ["Início", "Assuntos", "Notícias"],
        "related": "Notícias relacionadas",
        "published": "Publicado em",
        "share": "Compartilhe nas redes sociais",
        "rights": "Todos os direitos reservados.",
        "legal": "Política de privacidade · Acessibilidade · Mapa do site",
        "news": [
            "Operação conjunta reforça fiscalização na faixa de fronteira",
            "Curso de capacitação sobre tráfico de pessoas reúne servidores",
            "Receita Federal apreende mercadorias em ponto de fronteira",
            "Seminário discute cooperação policial na tríplice fronteira",
            "Novo posto de atendimento a migrantes é inaugurado",
        ],
    },
    "en": {
        "menu": ["Home", "About us", "Programmes", "News", "Publications", "Contact"],
        "cookies": "We use cookies to improve your experience on our website. By continuing to browse "
        "you agree to our use of cookies.",
        "accept": "Accept",
        "crumb": ["Home", "Newsroom", "News"],
        "related": "Related news",
        "published": "Published on",
        "share": "Share this page",
        "rights": "All rights reserved.",
        "legal": "Legal notice · Privacy policy · Accessibility",
        "news": [
            "Regional workshop on risk analysis at border crossings",
            "Steering committee reviews programme progress",
            "New handbook on integrated border management published",
            "Border officers trained in document fraud detection",
            "Equipment handed over to border control units",
        ],
    },
    "fr": {
        "menu": ["Accueil", "Qui sommes-nous", "Programmes", "Actualités", "Publications", "Contact"],
        "cookies": "Ce site utilise des cookies pour améliorer votre navigation. En poursuivant, vous "
        "acceptez leur utilisation.",
        "accept": "Accepter",
        "crumb": ["Accueil", "Espace presse", "Actualités"],
        "related": "Actualités liées",
        "published": "Publié le",
        "share": "Partager cette page",
        "rights": "Tous droits réservés.",
        "legal": "Mentions légales · Politique de confidentialité · Accessibilité",
        "news": [
            "Atelier régional sur l'analyse de risque aux points de passage",
            "Le comité de pilotage fait le point sur le programme",
            "Publication d'un guide sur la gestion intégrée des frontières",
            "Formation des agents à la détection de la fraude documentaire",
            "Remise d'équipements aux unités de contrôle frontalier",
        ],
    },
}
DEFAULT_PUBLISHER = {
    "es": "Programa EUROFRONT",
    "pt": "Programa EUROFRONT",
    "en": "EUROFRONT programme",
    "fr": "Programme EUROFRONT",
}
ADDRESS = {
    "es": "Calle de Beatriz de Bobadilla 18, 28040 Madrid, España · Tel. +34 91 591 46 00",
    "pt": "Esplanada dos Ministérios, Bloco T, Brasília – DF, CEP 70064-900",
    "en": "Calle de Beatriz de Bobadilla 18, 28040 Madrid, Spain · Tel. +34 91 591 46 00",
    "fr": "Calle de Beatriz de Bobadilla 18, 28040 Madrid, Espagne · Tél. +34 91 591 46 00",
}


def page_chrome(language: str, publisher: str, doc_id: str) -> str:
    """Return a ``str.format`` template with ``lang, title, h1, date, article`` placeholders."""
    t = TEXT.get(language, TEXT["en"])
    site = html.escape(publisher or DEFAULT_PUBLISHER.get(language, "EUROFRONT"))
    start = zlib.crc32(doc_id.encode()) % len(t["news"])
    related = [t["news"][(start + i) % len(t["news"])] for i in range(3)]
    slug = "".join(c if c.isalnum() else "-" for c in site.lower())
    menu = "\n".join(f'      <li><a href="/{i}">{html.escape(m)}</a></li>' for i, m in enumerate(t["menu"]))
    crumb = " › ".join(f'<a href="/">{html.escape(c)}</a>' for c in t["crumb"])
    side = "\n".join(
        f'        <li><a href="/noticias/{slug}-{i}">{html.escape(n)}</a></li>' for i, n in enumerate(related)
    )
    return f"""<!DOCTYPE html>
<html lang="{{lang}}">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="date" content="{{date}}">
  <title>{{title}} | {site}</title>
  <link rel="stylesheet" href="/static/css/site.css">
</head>
<body>
  <div id="cookie-banner" class="cookie-banner" role="dialog">
    <p>{html.escape(t["cookies"])}</p>
    <button type="button">{html.escape(t["accept"])}</button>
  </div>
  <header class="site-header">
    <a class="logo" href="/">{site}</a>
    <nav class="main-nav" aria-label="menu">
      <ul>
{menu}
      </ul>
    </nav>
  </header>
  <div class="breadcrumb">{crumb} › <span>{{h1}}</span></div>
  <div class="layout">
    <main>
      <article>
        <h1>{{h1}}</h1>
        <p class="meta">{html.escape(t["published"])} <time datetime="{{date}}">{{date}}</time></p>
{{article}}
        <div class="share">{html.escape(t["share"])}: X · Facebook · LinkedIn</div>
      </article>
    </main>
    <aside class="sidebar">
      <h2>{html.escape(t["related"])}</h2>
      <ul>
{side}
      </ul>
    </aside>
  </div>
  <footer class="site-footer">
    <p>{site} · {html.escape(ADDRESS.get(language, ADDRESS["en"]))}</p>
    <p>{html.escape(t["legal"])}</p>
    <p>© {site}. {html.escape(t["rights"])}</p>
  </footer>
</body>
</html>
"""

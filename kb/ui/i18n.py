# ruff: noqa: E501
"""Interface labels in English, Spanish, Portuguese and French."""

from __future__ import annotations

LANGUAGES = {"en": "English", "es": "Español", "pt": "Português", "fr": "Français"}

LABELS: dict[str, dict[str, str]] = {
    "search": {"en": "Search", "es": "Buscar", "pt": "Pesquisar", "fr": "Rechercher"},
    "query": {
        "en": "Search the knowledge base (any language)",
        "es": "Buscar en la base de conocimiento (cualquier idioma)",
        "pt": "Pesquisar na base de conhecimento (qualquer idioma)",
        "fr": "Rechercher dans la base (toute langue)",
    },
    "placeholder": {
        "en": 'e.g. joint migration control protocol, "Puente de la Amistad"',
        "es": 'p. ej. protocolo de control migratorio conjunto, "Puente de la Amistad"',
        "pt": "ex.: protocolo de controle migratório conjunto",
        "fr": "ex. : protocole de contrôle migratoire conjoint",
    },
    "sort": {"en": "Sort by", "es": "Ordenar por", "pt": "Ordenar por", "fr": "Trier par"},
    "relevance": {"en": "relevance", "es": "relevancia", "pt": "relevância", "fr": "pertinence"},
    "date": {"en": "date", "es": "fecha", "pt": "data", "fr": "date"},
    "filters": {"en": "Filters", "es": "Filtros", "pt": "Filtros", "fr": "Filtres"},
    "doc_type": {"en": "Document type", "es": "Tipo de documento", "pt": "Tipo de documento", "fr": "Type de document"},
    "lang": {"en": "Language", "es": "Idioma", "pt": "Idioma", "fr": "Langue"},
    "country": {"en": "Country", "es": "País", "pt": "País", "fr": "Pays"},
    "crossing": {
        "en": "Border crossing",
        "es": "Paso fronterizo",
        "pt": "Passagem de fronteira",
        "fr": "Point de passage",
    },
    "entity": {"en": "Entity", "es": "Entidad", "pt": "Entidade", "fr": "Entité"},
    "year": {"en": "Year", "es": "Año", "pt": "Ano", "fr": "Année"},
    "region": {"en": "Region", "es": "Región", "pt": "Região", "fr": "Région"},
    "results": {"en": "documents", "es": "documentos", "pt": "documentos", "fr": "documents"},
    "no_results": {
        "en": "No results. Try other words, fewer filters, or a question in another language — kb searches across Spanish, English, Portuguese and French.",
        "es": "Sin resultados. Pruebe otras palabras, menos filtros o una pregunta en otro idioma: kb busca en español, inglés, portugués y francés.",
        "pt": "Nenhum resultado. Tente outras palavras, menos filtros ou uma pergunta em outro idioma.",
        "fr": "Aucun résultat. Essayez d'autres mots, moins de filtres ou une question dans une autre langue.",
    },
    "other_lang": {
        "en": "in another language than your query",
        "es": "en otro idioma que su consulta",
        "pt": "em outro idioma que a sua consulta",
        "fr": "dans une autre langue que votre requête",
    },
    "more": {"en": "more passages", "es": "pasajes más", "pt": "trechos a mais", "fr": "passages de plus"},
    "open": {"en": "open", "es": "abrir", "pt": "abrir", "fr": "ouvrir"},
    "more_like": {"en": "more like this", "es": "más como este", "pt": "mais como este", "fr": "similaires"},
    "page": {"en": "page", "es": "página", "pt": "página", "fr": "page"},
    "export": {"en": "Export", "es": "Exportar", "pt": "Exportar", "fr": "Exporter"},
    "document": {"en": "Document", "es": "Documento", "pt": "Documento", "fr": "Document"},
    "download": {
        "en": "Download the original",
        "es": "Descargar el original",
        "pt": "Baixar o original",
        "fr": "Télécharger l'original",
    },
    "similar": {
        "en": "Similar documents",
        "es": "Documentos similares",
        "pt": "Documentos semelhantes",
        "fr": "Documents similaires",
    },
    "entities": {"en": "Entities", "es": "Entidades", "pt": "Entidades", "fr": "Entités"},
    "aliases": {"en": "Also written", "es": "También escrito", "pt": "Também escrito", "fr": "Aussi écrit"},
    "mentioned_in": {
        "en": "Documents that mention it",
        "es": "Documentos que la mencionan",
        "pt": "Documentos que a mencionam",
        "fr": "Documents qui la mentionnent",
    },
    "co_mentions": {
        "en": "Mentioned together with",
        "es": "Mencionada junto con",
        "pt": "Mencionada junto com",
        "fr": "Mentionnée avec",
    },
    "over_time": {
        "en": "Mentions over time",
        "es": "Menciones en el tiempo",
        "pt": "Menções ao longo do tempo",
        "fr": "Mentions dans le temps",
    },
    "map": {
        "en": "Border crossings (documents per crossing)",
        "es": "Pasos fronterizos (documentos por paso)",
        "pt": "Passagens de fronteira (documentos por passagem)",
        "fr": "Points de passage (documents par point)",
    },
    "upload": {"en": "Upload", "es": "Subir", "pt": "Enviar", "fr": "Téléverser"},
    "upload_help": {
        "en": "Drop PDF, DOCX, HTML, Markdown or text files (up to 50 MB each)",
        "es": "Arrastre archivos PDF, DOCX, HTML, Markdown o texto (hasta 50 MB cada uno)",
        "pt": "Arraste arquivos PDF, DOCX, HTML, Markdown ou texto (até 50 MB cada)",
        "fr": "Déposez des fichiers PDF, DOCX, HTML, Markdown ou texte (50 Mo max. chacun)",
    },
    "ingest": {
        "en": "Add to the knowledge base",
        "es": "Añadir a la base",
        "pt": "Adicionar à base",
        "fr": "Ajouter à la base",
    },
    "precedents": {
        "en": "Precedent finder",
        "es": "Buscador de precedentes",
        "pt": "Localizador de precedentes",
        "fr": "Recherche de précédents",
    },
    "paste": {
        "en": "Paste a text or a draft",
        "es": "Pegue un texto o un borrador",
        "pt": "Cole um texto ou um rascunho",
        "fr": "Collez un texte ou un projet",
    },
    "find": {
        "en": "Find similar",
        "es": "Buscar similares",
        "pt": "Buscar semelhantes",
        "fr": "Trouver des similaires",
    },
    "brief": {
        "en": "Prepare a visit",
        "es": "Preparar una visita",
        "pt": "Preparar uma visita",
        "fr": "Préparer une visite",
    },
    "brief_target": {
        "en": "Crossing, place, institution or country",
        "es": "Paso, lugar, institución o país",
        "pt": "Passagem, lugar, instituição ou país",
        "fr": "Point de passage, lieu, institution ou pays",
    },
    "compare": {
        "en": "Compare practices",
        "es": "Comparar prácticas",
        "pt": "Comparar práticas",
        "fr": "Comparer les pratiques",
    },
    "topic": {"en": "Topic", "es": "Tema", "pt": "Tema", "fr": "Sujet"},
    "building": {
        "en": "Building the knowledge base from the bundled corpus…",
        "es": "Construyendo la base con el corpus incluido…",
        "pt": "Construindo a base com o corpus incluído…",
        "fr": "Construction de la base à partir du corpus fourni…",
    },
    "interface": {
        "en": "Interface language",
        "es": "Idioma de la interfaz",
        "pt": "Idioma da interface",
        "fr": "Langue de l'interface",
    },
    "not_found": {"en": "Not found.", "es": "No encontrado.", "pt": "Não encontrado.", "fr": "Introuvable."},
    "stats": {
        "en": "{d} documents · {c} passages · {e} entities",
        "es": "{d} documentos · {c} pasajes · {e} entidades",
        "pt": "{d} documentos · {c} trechos · {e} entidades",
        "fr": "{d} documents · {c} passages · {e} entités",
    },
}


def t(key: str, lang: str) -> str:
    entry = LABELS.get(key, {})
    return entry.get(lang) or entry.get("en") or key

# ruff: noqa: E501
"""Interface labels in English, Spanish, Portuguese and French.

One row per label, the languages in the order of :data:`LANGUAGES`; a missing translation falls
back to English, and an entity type without a label shows as the type itself.
"""

from __future__ import annotations

from kb.ui.i18n_access import ACCESS_ROWS
from kb.ui.i18n_curation import CURATION_ROWS
from kb.ui.i18n_userdata import USERDATA_ROWS

LANGUAGES = {"en": "English", "es": "Español", "pt": "Português", "fr": "Français"}

_ROWS: dict[str, tuple[str, str, str, str]] = {
    # navigation
    "search": ("Search", "Buscar", "Pesquisar", "Rechercher"),
    "precedents": (
        "Precedent finder",
        "Buscador de precedentes",
        "Localizador de precedentes",
        "Recherche de précédents",
    ),
    "brief": ("Prepare a visit", "Preparar una visita", "Preparar uma visita", "Préparer une visite"),
    "compare": ("Compare practices", "Comparar prácticas", "Comparar práticas", "Comparer les pratiques"),
    "crossings": ("Border crossings", "Pasos fronterizos", "Passagens de fronteira", "Points de passage"),
    "upload": ("Upload", "Subir documentos", "Enviar documentos", "Téléverser"),
    "document": ("Document", "Documento", "Documento", "Document"),
    "interface": ("Interface language", "Idioma de la interfaz", "Idioma da interface", "Langue de l'interface"),
    "stats": (
        "{d} documents · {c} passages · {e} entities",
        "{d} documentos · {c} pasajes · {e} entidades",
        "{d} documentos · {c} trechos · {e} entidades",
        "{d} documents · {c} passages · {e} entités",
    ),
    "not_found": ("Not found.", "No encontrado.", "Não encontrado.", "Introuvable."),
    # search
    "query": (
        "Search the knowledge base (any language)",
        "Buscar en la base de conocimiento (cualquier idioma)",
        "Pesquisar na base de conhecimento (qualquer idioma)",
        "Rechercher dans la base (toute langue)",
    ),
    "placeholder": (
        'e.g. joint migration control protocol, "Puente de la Amistad"',
        'p. ej. protocolo de control migratorio conjunto, "Puente de la Amistad"',
        'ex.: protocolo de controle migratório conjunto, "Ponte da Amizade"',
        'ex. : protocole de contrôle migratoire conjoint, "Pont de l\'Amitié"',
    ),
    "intro": (
        'Ask in Spanish, English, Portuguese or French: answers come from documents in all four. Put "quotes" around a phrase to match it exactly.',
        'Pregunte en español, inglés, portugués o francés: las respuestas vienen de documentos en los cuatro idiomas. Ponga "comillas" para buscar una frase exacta.',
        'Pergunte em espanhol, inglês, português ou francês: as respostas vêm de documentos nos quatro idiomas. Use "aspas" para uma frase exata.',
        'Posez la question en espagnol, anglais, portugais ou français : les réponses viennent des documents dans les quatre langues. Mettez une phrase entre "guillemets" pour la trouver telle quelle.',
    ),
    "sort": ("Sort by", "Ordenar por", "Ordenar por", "Trier par"),
    "relevance": ("relevance", "relevancia", "relevância", "pertinence"),
    "date": ("date", "fecha", "data", "date"),
    "filters": ("Filters", "Filtros", "Filtros", "Filtres"),
    "doc_type": ("Document type", "Tipo de documento", "Tipo de documento", "Type de document"),
    "lang": ("Language", "Idioma", "Idioma", "Langue"),
    "country": ("Country", "País", "País", "Pays"),
    "crossing": ("Border crossing", "Paso fronterizo", "Passagem de fronteira", "Point de passage"),
    "entity": ("Entity", "Entidad", "Entidade", "Entité"),
    "year": ("Year", "Año", "Ano", "Année"),
    "region": ("Region", "Región", "Região", "Région"),
    "results": ("documents", "documentos", "documentos", "documents"),
    "also_searched": ("also searched", "también se buscó", "também pesquisado", "également recherché"),
    "unmatched_phrases": (
        "no passage holds it exactly, ranked on its words instead",
        "ningún pasaje lo contiene literalmente; se ordenó por sus palabras",
        "nenhum trecho o contém literalmente; ordenado pelas suas palavras",
        "aucun passage ne le contient tel quel ; classé selon ses mots",
    ),
    "no_results": (
        "No results. Try other or fewer words, or a question in another language — kb searches across Spanish, English, Portuguese and French.",
        "Sin resultados. Pruebe otras palabras o menos palabras, o una pregunta en otro idioma: kb busca en español, inglés, portugués y francés.",
        "Nenhum resultado. Tente outras palavras ou menos palavras, ou uma pergunta em outro idioma: kb pesquisa em espanhol, inglês, português e francês.",
        "Aucun résultat. Essayez d'autres mots, moins de mots, ou une question dans une autre langue : kb cherche en espagnol, anglais, portugais et français.",
    ),
    "tip_filters": (
        "Remove some filters in the sidebar.",
        "Quite algunos filtros de la barra lateral.",
        "Remova alguns filtros da barra lateral.",
        "Retirez des filtres dans la barre latérale.",
    ),
    "tip_quotes": (
        "Quoted phrases must appear word for word: remove the quotes to search by meaning.",
        "Las frases entre comillas deben aparecer tal cual: quite las comillas para buscar por sentido.",
        "As frases entre aspas devem aparecer exatamente: remova as aspas para pesquisar pelo sentido.",
        "Les phrases entre guillemets doivent apparaître telles quelles : retirez les guillemets pour chercher par le sens.",
    ),
    "other_lang": (
        "in another language than your query",
        "en otro idioma que su consulta",
        "em outro idioma que a sua consulta",
        "dans une autre langue que votre requête",
    ),
    "more": ("more passages", "pasajes más", "trechos a mais", "passages de plus"),
    "open": ("open", "abrir", "abrir", "ouvrir"),
    "more_like": ("More like this", "Más como este", "Mais como este", "Documents similaires"),
    "page": ("page", "página", "página", "page"),
    "near_dup": ("near-duplicate", "casi duplicado", "quase duplicado", "quasi-doublon"),
    "export": ("Export", "Exportar", "Exportar", "Exporter"),
    "no_similar": (
        "No similar documents.",
        "No hay documentos similares.",
        "Nenhum documento semelhante.",
        "Aucun document similaire.",
    ),
    # document
    "download": ("Download the original", "Descargar el original", "Baixar o original", "Télécharger l'original"),
    "similar": ("Similar documents", "Documentos similares", "Documentos semelhantes", "Documents similaires"),
    "entities": ("Entities", "Entidades", "Entidades", "Entités"),
    "text": ("Text", "Texto", "Texto", "Texte"),
    "hits_shaded": (
        "Passages matching «{q}» are shaded; its words are highlighted.",
        "Los pasajes que responden a «{q}» están sombreados y sus palabras resaltadas.",
        "Os trechos que respondem a «{q}» estão sombreados e as palavras destacadas.",
        "Les passages qui répondent à «{q}» sont grisés et ses mots surlignés.",
    ),
    "matching": (
        "{n} matching passages",
        "{n} pasajes coincidentes",
        "{n} trechos correspondentes",
        "{n} passages correspondants",
    ),
    "meta_doc_type": ("Type", "Tipo", "Tipo", "Type"),
    "meta_lang": ("Language", "Idioma", "Idioma", "Langue"),
    "meta_date": ("Date", "Fecha", "Data", "Date"),
    "meta_format": ("Format", "Formato", "Formato", "Format"),
    "meta_page_count": ("Pages", "Páginas", "Páginas", "Pages"),
    "meta_region": ("Region", "Región", "Região", "Région"),
    "meta_countries": ("Countries", "Países", "Países", "Pays"),
    "meta_crossings": ("Border crossings", "Pasos fronterizos", "Passagens de fronteira", "Points de passage"),
    "meta_collection": ("Collection", "Colección", "Coleção", "Collection"),
    # entity
    "type_BORDER_CROSSING": ("Border crossing", "Paso fronterizo", "Passagem de fronteira", "Point de passage"),
    "type_COUNTRY": ("Country", "País", "País", "Pays"),
    "type_ORG": ("Organisation", "Organización", "Organização", "Organisation"),
    "type_PROGRAMME": ("Programme", "Programa", "Programa", "Programme"),
    "type_CRIME_TYPE": ("Crime type", "Tipo de delito", "Tipo de crime", "Type d'infraction"),
    "type_LEGAL_INSTRUMENT": (
        "Legal instrument",
        "Instrumento jurídico",
        "Instrumento jurídico",
        "Instrument juridique",
    ),
    "type_PERSON": ("Person", "Persona", "Pessoa", "Personne"),
    "type_PLACE": ("Place", "Lugar", "Lugar", "Lieu"),
    "aliases": ("Also written", "También escrito", "Também escrito", "Aussi écrit"),
    "search_for": (
        "Search the documents for it",
        "Buscarla en los documentos",
        "Pesquisá-la nos documentos",
        "La chercher dans les documents",
    ),
    "mentioned_in": (
        "Documents that mention it",
        "Documentos que la mencionan",
        "Documentos que a mencionam",
        "Documents qui la mentionnent",
    ),
    "mentions": ("{n} mentions", "{n} menciones", "{n} menções", "{n} mentions"),
    "mentions_axis": ("mentions", "menciones", "menções", "mentions"),
    "co_mentions": ("Mentioned together with", "Mencionada junto con", "Mencionada junto com", "Mentionnée avec"),
    "over_time": (
        "Mentions over time",
        "Menciones en el tiempo",
        "Menções ao longo do tempo",
        "Mentions dans le temps",
    ),
    "undated": (
        "No dated documents.",
        "No hay documentos fechados.",
        "Nenhum documento datado.",
        "Aucun document daté.",
    ),
    "map": (
        "Border crossings (circle size: documents per crossing)",
        "Pasos fronterizos (tamaño: documentos por paso)",
        "Passagens de fronteira (tamanho: documentos por passagem)",
        "Points de passage (taille : documents par point)",
    ),
    "map_near": (
        "Map: crossings nearby (size: documents)",
        "Mapa: pasos cercanos (tamaño: documentos)",
        "Mapa: passagens próximas (tamanho: documentos)",
        "Carte : points de passage proches (taille : documents)",
    ),
    "no_coordinates": (
        "No crossing has coordinates in the gazetteer.",
        "Ningún paso tiene coordenadas en el nomenclátor.",
        "Nenhuma passagem tem coordenadas no gazetteer.",
        "Aucun point de passage n'a de coordonnées.",
    ),
    # upload
    "upload_note": (
        "Files are checked (type, size up to {mb} MB), stored inside the knowledge base and indexed. A file that fails is reported with its reason; nothing already indexed is lost.",
        "Los archivos se comprueban (tipo, tamaño hasta {mb} MB), se guardan dentro de la base y se indexan. Un archivo que falla se informa con su motivo; no se pierde nada de lo ya indexado.",
        "Os arquivos são verificados (tipo, tamanho até {mb} MB), guardados dentro da base e indexados. Um arquivo que falha é informado com o motivo; nada já indexado se perde.",
        "Les fichiers sont vérifiés (type, taille jusqu'à {mb} Mo), stockés dans la base et indexés. Un fichier en échec est signalé avec sa raison ; rien de déjà indexé n'est perdu.",
    ),
    "upload_help": (
        "Drop PDF, DOCX, HTML, Markdown or text files",
        "Arrastre archivos PDF, DOCX, HTML, Markdown o texto",
        "Arraste arquivos PDF, DOCX, HTML, Markdown ou texto",
        "Déposez des fichiers PDF, DOCX, HTML, Markdown ou texte",
    ),
    "ingest": ("Add to the knowledge base", "Añadir a la base", "Adicionar à base", "Ajouter à la base"),
    "stage_scan": ("Checking files", "Comprobando archivos", "Verificando arquivos", "Vérification des fichiers"),
    "stage_read": ("Reading", "Leyendo", "Lendo", "Lecture"),
    "stage_analyse": ("Analysing", "Analizando", "Analisando", "Analyse"),
    "stage_embed": ("Indexing passages", "Indexando pasajes", "Indexando trechos", "Indexation des passages"),
    "done": ("Done", "Hecho", "Concluído", "Terminé"),
    "status_ingested": ("added", "añadido", "adicionado", "ajouté"),
    "status_updated": (
        "updated (new version)",
        "actualizado (nueva versión)",
        "atualizado (nova versão)",
        "mis à jour (nouvelle version)",
    ),
    "status_unchanged": (
        "already indexed, unchanged",
        "ya indexado, sin cambios",
        "já indexado, sem alterações",
        "déjà indexé, inchangé",
    ),
    "status_duplicate": (
        "identical to a document already indexed",
        "idéntico a un documento ya indexado",
        "idêntico a um documento já indexado",
        "identique à un document déjà indexé",
    ),
    "status_skipped": ("not added", "no añadido", "não adicionado", "non ajouté"),
    "status_refused": ("refused", "rechazado", "recusado", "refusé"),
    # precedents
    "precedents_help": (
        "Paste a paragraph or upload a draft: kb finds the most similar passages and documents, in any of the four languages, with citations.",
        "Pegue un párrafo o suba un borrador: kb encuentra los pasajes y documentos más parecidos, en cualquiera de los cuatro idiomas, con citas.",
        "Cole um parágrafo ou envie um rascunho: kb encontra os trechos e documentos mais parecidos, em qualquer dos quatro idiomas, com citações.",
        "Collez un paragraphe ou déposez un projet : kb trouve les passages et documents les plus proches, dans les quatre langues, avec leurs références.",
    ),
    "paste": ("Paste a text", "Pegue un texto", "Cole um texto", "Collez un texte"),
    "draft": ("…or upload a draft", "…o suba un borrador", "…ou envie um rascunho", "…ou déposez un projet"),
    "words": ("words", "palabras", "palavras", "mots"),
    # start
    "building": (
        "Building the knowledge base from the bundled corpus…",
        "Construyendo la base con el corpus incluido…",
        "Construindo a base com o corpus incluído…",
        "Construction de la base à partir du corpus fourni…",
    ),
    "built": (
        "Knowledge base ready: {n} documents added.",
        "Base lista: {n} documentos añadidos.",
        "Base pronta: {n} documentos adicionados.",
        "Base prête : {n} documents ajoutés.",
    ),
    # reports
    "brief_target": (
        "Crossing, place, institution or country",
        "Paso, lugar, institución o país",
        "Passagem, lugar, instituição ou país",
        "Point de passage, lieu, institution ou pays",
    ),
    "topic": ("Topic", "Tema", "Tema", "Sujet"),
    # regions (of documents and passages)
    "region_europe": ("Europe", "Europa", "Europa", "Europe"),
    "region_latam": ("Latin America", "América Latina", "América Latina", "Amérique latine"),
    "region_other": ("Other", "Otra", "Outra", "Autre"),
}

LABELS: dict[str, dict[str, str]] = {
    key: dict(zip(LANGUAGES, row, strict=True))
    for key, row in {**_ROWS, **ACCESS_ROWS, **CURATION_ROWS, **USERDATA_ROWS}.items()
}


def t(key: str, lang: str) -> str:
    """The label ``key`` in ``lang`` (English when missing; an entity type's raw name when unknown)."""
    entry = LABELS.get(key)
    if entry is None:
        return key.removeprefix("type_").replace("_", " ").capitalize() if key.startswith("type_") else key
    return entry.get(lang) or entry["en"]

# ruff: noqa: E501
"""Interface labels of what users keep: watched searches, notes on documents, the ZIP export.

Merged into :mod:`kb.ui.i18n`'s labels; same row format: English, Spanish, Portuguese, French.
"""

from __future__ import annotations

USERDATA_ROWS: dict[str, tuple[str, str, str, str]] = {
    # watched searches
    "watched": ("Watched searches", "Búsquedas vigiladas", "Pesquisas acompanhadas", "Recherches suivies"),
    "watch_this": ("Watch this search", "Vigilar esta búsqueda", "Acompanhar esta pesquisa", "Suivre cette recherche"),
    "watch_name": ("Name of the watch", "Nombre de la vigilancia", "Nome do acompanhamento", "Nom du suivi"),
    "watch_added": (
        "Watching it: documents that arrive from now on and match it will show on the Watched page.",
        "Vigilada: los documentos que lleguen desde ahora y coincidan aparecerán en la página de búsquedas vigiladas.",
        "Acompanhada: os documentos que chegarem a partir de agora e corresponderem aparecerão na página de pesquisas acompanhadas.",
        "Suivie : les documents qui arrivent désormais et y répondent apparaîtront sur la page des recherches suivies.",
    ),
    "no_watches": (
        "You watch no search yet: use “Watch this search” on the search page.",
        "Aún no vigila ninguna búsqueda: use «Vigilar esta búsqueda» en la página de búsqueda.",
        "Você ainda não acompanha nenhuma pesquisa: use “Acompanhar esta pesquisa” na página de pesquisa.",
        "Vous ne suivez encore aucune recherche : utilisez « Suivre cette recherche » sur la page de recherche.",
    ),
    "new_hits": ("new", "nuevos", "novos", "nouveaux"),
    "show_new": ("Show what is new", "Mostrar lo nuevo", "Mostrar o que há de novo", "Afficher les nouveautés"),
    "nothing_new": (
        "Nothing new since you last looked.",
        "Nada nuevo desde la última vez.",
        "Nada de novo desde a última vez.",
        "Rien de nouveau depuis votre dernière visite.",
    ),
    "watch_remove": ("Delete this watch", "Dejar de vigilar", "Deixar de acompanhar", "Ne plus suivre"),
    "watch_query": ("Query", "Consulta", "Consulta", "Requête"),
    "last_looked": ("last looked", "última consulta", "última consulta", "dernière consultation"),
    "never": ("never", "nunca", "nunca", "jamais"),
    # notes
    "notes": ("Team notes", "Notas del equipo", "Notas da equipe", "Notes de l'équipe"),
    "no_notes": ("No notes yet.", "Aún no hay notas.", "Ainda não há notas.", "Pas encore de notes."),
    "note_text": ("Your note", "Su nota", "Sua nota", "Votre note"),
    "note_quote": (
        "Quoted passage (optional)",
        "Pasaje citado (opcional)",
        "Trecho citado (opcional)",
        "Passage cité (facultatif)",
    ),
    "note_page": ("Page (0: none)", "Página (0: ninguna)", "Página (0: nenhuma)", "Page (0 : aucune)"),
    "note_add": ("Add the note", "Añadir la nota", "Adicionar a nota", "Ajouter la note"),
    "note_added": ("Note added.", "Nota añadida.", "Nota adicionada.", "Note ajoutée."),
    # export
    "export_zip": ("Export ZIP", "Exportar ZIP", "Exportar ZIP", "Exporter en ZIP"),
    "download_zip": (
        "Download the ZIP ({n} documents)",
        "Descargar el ZIP ({n} documentos)",
        "Baixar o ZIP ({n} documentos)",
        "Télécharger le ZIP ({n} documents)",
    ),
    # batch look-ups
    "batch": ("Batch look-up", "Búsqueda por lotes", "Pesquisa em lote", "Recherche par lot"),
    "batch_intro": (
        "A CSV with a query column (a name, a question, a plate…) and optional lang, collection, doc_type, country, crossing, entity, since, until columns: one search per row.",
        "Un CSV con una columna query (un nombre, una pregunta, una matrícula…) y columnas opcionales lang, collection, doc_type, country, crossing, entity, since, until: una búsqueda por fila.",
        "Um CSV com uma coluna query (um nome, uma pergunta, uma placa…) e colunas opcionais lang, collection, doc_type, country, crossing, entity, since, until: uma pesquisa por linha.",
        "Un CSV avec une colonne query (un nom, une question, une plaque…) et des colonnes facultatives lang, collection, doc_type, country, crossing, entity, since, until : une recherche par ligne.",
    ),
    "batch_file": (
        "Table of queries (CSV)",
        "Tabla de consultas (CSV)",
        "Tabela de consultas (CSV)",
        "Tableau de requêtes (CSV)",
    ),
    "batch_k": ("Hits per row", "Resultados por fila", "Resultados por linha", "Résultats par ligne"),
    "batch_run": ("Run the look-ups", "Ejecutar las búsquedas", "Executar as pesquisas", "Lancer les recherches"),
    "batch_rows": ("{n} of {total} rows", "{n} de {total} filas", "{n} de {total} linhas", "{n} sur {total} lignes"),
    "batch_done": (
        "{n} rows searched ({e} with an error).",
        "{n} filas buscadas ({e} con error).",
        "{n} linhas pesquisadas ({e} com erro).",
        "{n} lignes recherchées ({e} avec une erreur).",
    ),
    "batch_download": (
        "Download the results (CSV)",
        "Descargar los resultados (CSV)",
        "Baixar os resultados (CSV)",
        "Télécharger les résultats (CSV)",
    ),
}

"""Short explanations for the Windows Live Contacts and Veeam task services, in English,
French and Korean.

Keys are the ``Row.key`` of the ``contacts`` and ``tasks`` status tables, plus the two
outcomes of waiting on a task. Each text says what happened and what the caller should do
next.
"""

# ruff: noqa: E501

SERVICE_TEXTS: dict[str, dict[str, str]] = {
    # --- Windows Live Contacts --------------------------------------------------------
    "contacts.200": {
        "en": "The GET worked; the body holds the requested contacts data.",
        "fr": "Le GET a abouti ; le corps contient les données de contacts demandées.",
        "ko": "GET 요청이 성공했습니다. 본문에 요청한 연락처 데이터가 있습니다.",
    },
    "contacts.201": {
        "en": "The POST added a new item; its address is in the Location header, so keep it to read or change the item later.",
        "fr": "Le POST a ajouté un nouvel élément ; son adresse figure dans l'en-tête Location : gardez-la pour le relire ou le modifier plus tard.",
        "ko": "POST로 새 항목이 추가되었습니다. 새 항목의 주소가 Location 헤더에 있으니 나중에 읽거나 수정할 수 있도록 보관하세요.",
    },
    "contacts.204": {
        "en": "The update or delete went through; no body comes back, so read the item again if you need its new state.",
        "fr": "La modification ou la suppression a réussi ; aucun corps n'est renvoyé, relisez donc l'élément si vous avez besoin de son nouvel état.",
        "ko": "수정 또는 삭제가 완료되었습니다. 본문은 오지 않으니 새 상태가 필요하면 항목을 다시 읽으세요.",
    },
    "contacts.206": {
        "en": "Because the root GET asked for DeltaSync: Basic, the body holds only what changed; merge it into your local copy.",
        "fr": "Comme le GET racine demandait DeltaSync: Basic, le corps ne contient que les changements ; fusionnez-les dans votre copie locale.",
        "ko": "루트 GET에 DeltaSync: Basic을 지정했으므로 본문에는 바뀐 내용만 있습니다. 로컬 사본에 병합하세요.",
    },
    "contacts.304": {
        "en": "Nothing changed since the If-Modified-Since time you sent; your cached copy is still current.",
        "fr": "Rien n'a changé depuis la date If-Modified-Since envoyée ; votre copie en cache est toujours à jour.",
        "ko": "보낸 If-Modified-Since 시각 이후로 바뀐 것이 없습니다. 캐시된 사본이 여전히 최신입니다.",
    },
    "contacts.400": {
        "en": "The request breaks the expected format (for example an unknown enum value or a write to a read-only field); fix it before sending again.",
        "fr": "La requête ne respecte pas le format attendu (par exemple une valeur d'énumération inconnue ou l'écriture d'un champ en lecture seule) ; corrigez-la avant de la renvoyer.",
        "ko": "요청이 필요한 형식에 맞지 않습니다(예: 알 수 없는 열거형 값, 읽기 전용 필드 수정). 고친 뒤 다시 보내세요.",
    },
    "contacts.401.address-book": {
        "en": "This caller may not perform this action on the target address book; check the address book named in the URI and the credentials you call with.",
        "fr": "Cet appelant n'a pas le droit d'effectuer cette action sur ce carnet d'adresses ; vérifiez le carnet visé par l'URI et les identifiants utilisés.",
        "ko": "호출자에게 대상 주소록에서 이 작업을 할 권한이 없습니다. URI가 가리키는 주소록과 사용 중인 자격 증명을 확인하세요.",
    },
    "contacts.401.caller-id": {
        "en": "The CallerID was missing or invalid, or the Family Safety assertion failed; send a valid CallerID, and if it already is, check the account's Family Safety settings.",
        "fr": "Le CallerID manque ou n'est pas valide, ou l'assertion Family Safety a échoué ; envoyez un CallerID valide et, s'il l'est déjà, vérifiez les réglages Family Safety du compte.",
        "ko": "CallerID가 없거나 올바르지 않거나 Family Safety 확인에 실패했습니다. 올바른 CallerID를 보내고, 이미 올바르다면 계정의 Family Safety 설정을 확인하세요.",
    },
    "contacts.403.quota": {
        "en": "The limit on inserted objects has been exceeded; repeating the insert will fail again, so check the service's quotas and limits before adding more.",
        "fr": "La limite d'objets insérés est dépassée ; répéter l'insertion échouera de nouveau, vérifiez donc les quotas et limites du service avant d'en ajouter.",
        "ko": "삽입할 수 있는 객체 수의 한도를 넘었습니다. 같은 삽입을 반복하면 다시 실패하니 더 추가하기 전에 서비스의 할당량과 제한을 확인하세요.",
    },
    "contacts.403.method": {
        "en": "The service refuses this method here and will keep doing so; signing in again will not help, so do not repeat the request.",
        "fr": "Le service refuse cette méthode ici et continuera de le faire ; se reconnecter n'y changera rien, ne renvoyez donc pas la requête.",
        "ko": "서비스가 여기서 지원하지 않는 메서드라 거부했으며 앞으로도 마찬가지입니다. 다시 인증해도 소용없으니 요청을 반복하지 마세요.",
    },
    "contacts.404": {
        "en": "The URI does not lead to an existing resource (for example the ContactID is wrong); check the identifiers in the path.",
        "fr": "L'URI ne mène à aucune ressource existante (par exemple, le ContactID est erroné) ; vérifiez les identifiants du chemin.",
        "ko": "URI가 존재하는 리소스를 가리키지 않습니다(예: 잘못된 ContactID). 경로의 식별자를 확인하세요.",
    },
    "contacts.405": {
        "en": "This resource does not accept this verb (for example POST or DELETE on a single-valued property); use a method listed in the Allow header.",
        "fr": "Cette ressource n'accepte pas ce verbe (par exemple POST ou DELETE sur une propriété à valeur unique) ; utilisez une méthode listée dans l'en-tête Allow.",
        "ko": "이 리소스는 이 메서드를 받지 않습니다(예: 단일 값 속성에 POST나 DELETE). Allow 헤더에 나온 메서드를 쓰세요.",
    },
    "contacts.409": {
        "en": "The write would duplicate a value that must be unique; change the conflicting value or update the existing item instead.",
        "fr": "L'écriture dupliquerait une valeur qui doit rester unique ; changez la valeur en conflit ou modifiez plutôt l'élément existant.",
        "ko": "이 쓰기는 고유해야 하는 값을 중복시킵니다. 충돌하는 값을 바꾸거나 대신 기존 항목을 수정하세요.",
    },
    "contacts.412": {
        "en": "The record changed after the If-Unmodified-Since time you sent, so the PUT was not applied; read it again, redo your change and send it with the new time.",
        "fr": "L'enregistrement a changé après la date If-Unmodified-Since envoyée, le PUT n'a donc pas été appliqué ; relisez-le, refaites la modification et renvoyez-la avec la nouvelle date.",
        "ko": "보낸 If-Unmodified-Since 시각 이후에 레코드가 바뀌어 PUT이 적용되지 않았습니다. 다시 읽고 변경을 다시 적용한 뒤 새 시각으로 보내세요.",
    },
    "contacts.500": {
        "en": "The service failed unexpectedly while handling the request; try again later, and repeat a write only if doing it twice is safe.",
        "fr": "Le service a échoué de façon inattendue en traitant la requête ; réessayez plus tard, et ne répétez une écriture que si la faire deux fois est sans risque.",
        "ko": "요청 처리 중 서비스에 예기치 않은 오류가 났습니다. 나중에 다시 시도하되, 쓰기는 두 번 실행해도 안전할 때만 반복하세요.",
    },
    "contacts.503": {
        "en": "No services are available for now; this is temporary, so wait for Retry-After before trying again, or treat it like a 500 if that header is missing.",
        "fr": "Aucun service n'est disponible pour l'instant ; c'est temporaire : attendez le délai Retry-After avant de réessayer, ou traitez-le comme un 500 si l'en-tête manque.",
        "ko": "지금은 사용할 수 있는 서비스가 없습니다. 일시적인 상태이니 Retry-After만큼 기다린 뒤 다시 시도하고, 이 헤더가 없으면 500처럼 처리하세요.",
    },
    "contacts.504": {
        "en": "Only the Contacts service is unavailable (overloaded, under maintenance, or throttling you for too many calls per second); wait for Retry-After, or treat it like a 500 if absent.",
        "fr": "Seul le service Contacts est indisponible (surcharge, maintenance, ou trop d'appels par seconde de votre part) ; attendez le délai Retry-After, ou traitez-le comme un 500 s'il manque.",
        "ko": "Contacts 서비스만 사용할 수 없습니다(과부하, 점검, 또는 초당 호출 한도 초과에 따른 제한). Retry-After만큼 기다리고, 이 헤더가 없으면 500처럼 처리하세요.",
    },
    # --- Veeam Backup Enterprise Manager tasks ----------------------------------------
    "tasks.200": {
        "en": "The operation completed; the body is the current representation of the resource.",
        "fr": "L'opération est terminée ; le corps est la représentation actuelle de la ressource.",
        "ko": "작업이 완료되었습니다. 본문은 리소스의 현재 표현입니다.",
    },
    "tasks.201": {
        "en": "The resource was created and the body describes it; keep its identifier for later calls.",
        "fr": "La ressource a été créée et le corps la décrit ; gardez son identifiant pour les appels suivants.",
        "ko": "리소스가 생성되었고 본문에 그 내용이 있습니다. 이후 호출을 위해 식별자를 보관하세요.",
    },
    "tasks.202": {
        "en": "The server accepted the request and created a task to carry it out; poll that task until it ends, which wait() on the returned task does for you.",
        "fr": "Le serveur a accepté la requête et créé une tâche pour l'exécuter ; suivez cette tâche jusqu'à sa fin, ce que wait() fait pour vous sur la tâche renvoyée.",
        "ko": "서버가 요청을 받아들이고 이를 처리할 작업(task)을 만들었습니다. 작업이 끝날 때까지 확인해야 하며, 반환된 작업의 wait()가 이를 대신 해 줍니다.",
    },
    "tasks.204": {
        "en": "The request succeeded and there is no body to return (for example after a delete); nothing more to read.",
        "fr": "La requête a réussi et aucun corps n'est renvoyé (par exemple après une suppression) ; il n'y a rien de plus à lire.",
        "ko": "요청이 성공했으며 돌려줄 본문이 없습니다(예: 삭제 후). 더 읽을 것이 없습니다.",
    },
    "tasks.400": {
        "en": "The request body is malformed, incomplete or invalid; correct it using the error details before sending again.",
        "fr": "Le corps de la requête est mal formé, incomplet ou invalide ; corrigez-le d'après le détail de l'erreur avant de le renvoyer.",
        "ko": "요청 본문이 잘못된 형식이거나 불완전하거나 유효하지 않습니다. 오류 내용을 보고 고친 뒤 다시 보내세요.",
    },
    "tasks.401": {
        "en": "The authorization header was missing or has expired; log in again to get a fresh session, then repeat the call.",
        "fr": "L'en-tête d'autorisation manquait ou a expiré ; reconnectez-vous pour obtenir une nouvelle session, puis refaites l'appel.",
        "ko": "인증 헤더가 없거나 만료되었습니다. 다시 로그인해 새 세션을 받은 뒤 호출을 반복하세요.",
    },
    "tasks.403": {
        "en": "Your account lacks rights on one or more objects named in the request; obtain the needed permissions or leave those objects out.",
        "fr": "Votre compte n'a pas les droits sur un ou plusieurs objets cités dans la requête ; obtenez les autorisations nécessaires ou retirez ces objets.",
        "ko": "계정에 요청에 포함된 객체 중 하나 이상에 대한 권한이 없습니다. 필요한 권한을 받거나 해당 객체를 빼세요.",
    },
    "tasks.404": {
        "en": "At least one resource named in the request does not exist in its collection; check the identifiers.",
        "fr": "Au moins une ressource citée dans la requête n'existe pas dans sa collection ; vérifiez les identifiants.",
        "ko": "요청에 지정한 리소스 중 하나 이상이 해당 컬렉션에 없습니다. 식별자를 확인하세요.",
    },
    "tasks.405": {
        "en": "This resource does not support the HTTP method used; call it with a method it accepts.",
        "fr": "Cette ressource ne prend pas en charge la méthode HTTP utilisée ; appelez-la avec une méthode qu'elle accepte.",
        "ko": "이 리소스는 사용한 HTTP 메서드를 지원하지 않습니다. 지원하는 메서드로 호출하세요.",
    },
    "tasks.500": {
        "en": "The server received the request but an internal error stopped it; try again later, and repeat a write only if doing it twice is safe.",
        "fr": "Le serveur a reçu la requête mais une erreur interne l'a interrompue ; réessayez plus tard, et ne répétez une écriture que si la faire deux fois est sans risque.",
        "ko": "서버가 요청을 받았지만 내부 오류로 처리하지 못했습니다. 나중에 다시 시도하되, 쓰기는 두 번 실행해도 안전할 때만 반복하세요.",
    },
    "tasks.501": {
        "en": "This server or version does not implement what the request needs; retrying will not help, so check the server version or use another endpoint.",
        "fr": "Ce serveur ou cette version n'implémente pas ce que demande la requête ; réessayer ne servira à rien, vérifiez la version du serveur ou passez par un autre point d'accès.",
        "ko": "이 서버나 버전은 요청에 필요한 기능을 구현하지 않았습니다. 다시 시도해도 소용없으니 서버 버전을 확인하거나 다른 엔드포인트를 쓰세요.",
    },
    "tasks.503": {
        "en": "The server is temporarily overloaded or under maintenance; try again later, after Retry-After if the response gives one.",
        "fr": "Le serveur est temporairement surchargé ou en maintenance ; réessayez plus tard, après le délai Retry-After si la réponse en indique un.",
        "ko": "서버가 일시적으로 과부하 상태이거나 점검 중입니다. 나중에 다시 시도하고, 응답에 Retry-After가 있으면 그 시간이 지난 뒤에 하세요.",
    },
    # --- waiting on a task ------------------------------------------------------------
    "task.failed": {
        "en": "The task ran to its end but reported a failure; read its result message to see why before deciding whether to start it again.",
        "fr": "La tâche est allée à son terme mais a signalé un échec ; lisez son message de résultat pour en connaître la cause avant de décider de la relancer.",
        "ko": "작업이 끝까지 실행되었지만 실패를 보고했습니다. 다시 시작할지 정하기 전에 결과 메시지에서 원인을 확인하세요.",
    },
    "task.timeout": {
        "en": "The task had not finished by your deadline and may still be running on the server; check on it later instead of starting the same work again.",
        "fr": "La tâche n'était pas terminée à votre échéance et tourne peut-être encore sur le serveur ; revenez la consulter plus tard au lieu de relancer le même travail.",
        "ko": "기한까지 작업이 끝나지 않았으며 서버에서 아직 실행 중일 수 있습니다. 같은 작업을 다시 시작하지 말고 나중에 상태를 확인하세요.",
    },
}
"""Explanations by key, then by language (``en``, ``fr``, ``ko``)."""

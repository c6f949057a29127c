"""Short explanations for the Windows Live Contacts and Veeam task services and for any
HTTP API (the ``rest`` profile), in English, French and Korean.

Keys are the ``Row.key`` of the ``contacts``, ``rest`` and ``tasks`` status tables, plus
the two outcomes of waiting on a task and a success no table knows. Each text says what
happened and what the caller should do next.
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
    "contacts.412.if-match": {
        "en": "The item no longer has the ETag you sent in If-Match: someone changed it since you read it, so the write was not applied; read it again, redo your change and send it with the new ETag.",
        "fr": "L'élément n'a plus l'ETag envoyé dans If-Match : quelqu'un l'a modifié depuis votre lecture, l'écriture n'a donc pas été appliquée ; relisez-le, refaites la modification et renvoyez-la avec le nouvel ETag.",
        "ko": "항목이 If-Match로 보낸 ETag와 더 이상 일치하지 않습니다. 읽은 뒤 누군가 수정했으므로 쓰기가 적용되지 않았습니다. 다시 읽고 변경을 다시 적용해 새 ETag와 함께 보내세요.",
    },
    "contacts.412.if-none-match": {
        "en": "The item already exists, and If-None-Match: * asked to create it only if it did not; nothing was written. Read the existing item, or update it with If-Match instead.",
        "fr": "L'élément existe déjà, et If-None-Match: * demandait de ne le créer que s'il n'existait pas ; rien n'a été écrit. Lisez l'élément existant, ou modifiez-le plutôt avec If-Match.",
        "ko": "항목이 이미 있는데 If-None-Match: *는 없을 때만 만들라고 요청했으므로 아무것도 쓰지 않았습니다. 기존 항목을 읽거나, 대신 If-Match로 수정하세요.",
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
    # --- any HTTP API (the rest profile, RFC 9110) ------------------------------------
    "rest.200": {
        "en": "The request succeeded; the body is the resource (or the outcome of the action).",
        "fr": "La requête a réussi ; le corps est la ressource (ou le résultat de l'action).",
        "ko": "요청이 성공했습니다. 본문은 리소스(또는 작업 결과)입니다.",
    },
    "rest.201": {
        "en": "The request created a resource; its address is in the Location header when the server gave one.",
        "fr": "La requête a créé une ressource ; son adresse figure dans l'en-tête Location quand le serveur l'indique.",
        "ko": "요청으로 리소스가 만들어졌습니다. 서버가 알려 준 경우 그 주소는 Location 헤더에 있습니다.",
    },
    "rest.202": {
        "en": "The server accepted the request but has not finished it; check the resource later to see the outcome.",
        "fr": "Le serveur a accepté la requête sans l'avoir terminée ; consultez la ressource plus tard pour en voir le résultat.",
        "ko": "서버가 요청을 받았지만 아직 끝내지 않았습니다. 나중에 리소스를 확인해 결과를 보세요.",
    },
    "rest.203": {
        "en": "The request succeeded, but a proxy changed the body on its way; it may differ from what the origin server sent.",
        "fr": "La requête a réussi, mais un proxy a modifié le corps en chemin ; il peut différer de ce qu'a envoyé le serveur d'origine.",
        "ko": "요청은 성공했지만 중간의 프록시가 본문을 바꿨습니다. 원 서버가 보낸 내용과 다를 수 있습니다.",
    },
    "rest.204": {
        "en": "The request succeeded and there is no body; read the resource again if you need its new state.",
        "fr": "La requête a réussi et il n'y a pas de corps ; relisez la ressource si vous avez besoin de son nouvel état.",
        "ko": "요청이 성공했고 본문은 없습니다. 새 상태가 필요하면 리소스를 다시 읽으세요.",
    },
    "rest.206": {
        "en": "The body holds only part of the resource, as the request asked.",
        "fr": "Le corps ne contient qu'une partie de la ressource, comme la requête le demandait.",
        "ko": "요청한 대로 본문에는 리소스의 일부만 있습니다.",
    },
    "rest.304": {
        "en": "Nothing changed since the version your condition named; your cached copy is still current.",
        "fr": "Rien n'a changé depuis la version désignée par votre condition ; votre copie en cache est toujours à jour.",
        "ko": "조건에 지정한 버전 이후로 바뀐 것이 없습니다. 캐시된 사본이 여전히 최신입니다.",
    },
    "rest.400": {
        "en": "The server found the request malformed or invalid; correct it using the message before sending it again.",
        "fr": "Le serveur juge la requête mal formée ou invalide ; corrigez-la d'après le message avant de la renvoyer.",
        "ko": "서버가 요청이 잘못되었거나 유효하지 않다고 판단했습니다. 메시지를 보고 고친 뒤 다시 보내세요.",
    },
    "rest.401": {
        "en": "The request lacks valid credentials (missing, expired or wrong); authenticate again, then repeat the call.",
        "fr": "La requête n'a pas d'identifiants valides (absents, expirés ou erronés) ; authentifiez-vous de nouveau, puis refaites l'appel.",
        "ko": "요청에 유효한 자격 증명이 없습니다(없음, 만료, 잘못됨). 다시 인증한 뒤 호출을 반복하세요.",
    },
    "rest.403": {
        "en": "The server understood the request but refuses it for these credentials; signing in again will not help without more rights.",
        "fr": "Le serveur a compris la requête mais la refuse pour ces identifiants ; se reconnecter n'y changera rien sans droits supplémentaires.",
        "ko": "서버가 요청을 이해했지만 이 자격 증명으로는 거부합니다. 권한이 늘지 않는 한 다시 인증해도 소용없습니다.",
    },
    "rest.404": {
        "en": "Nothing exists at this address; check the path and the base URL.",
        "fr": "Rien n'existe à cette adresse ; vérifiez le chemin et l'URL de base.",
        "ko": "이 주소에는 아무것도 없습니다. 경로와 기본 URL을 확인하세요.",
    },
    "rest.405": {
        "en": "This resource does not accept this method; use one listed in the Allow header.",
        "fr": "Cette ressource n'accepte pas cette méthode ; utilisez-en une listée dans l'en-tête Allow.",
        "ko": "이 리소스는 이 메서드를 받지 않습니다. Allow 헤더에 나온 메서드를 쓰세요.",
    },
    "rest.409": {
        "en": "The request conflicts with the current state of the resource; read it again and resolve the conflict before retrying.",
        "fr": "La requête entre en conflit avec l'état actuel de la ressource ; relisez-la et résolvez le conflit avant de réessayer.",
        "ko": "요청이 리소스의 현재 상태와 충돌합니다. 다시 읽고 충돌을 해결한 뒤 재시도하세요.",
    },
    "rest.412": {
        "en": "A precondition of the request did not hold, so nothing was applied; read the resource again and send the request with current conditions.",
        "fr": "Une précondition de la requête n'était pas remplie, rien n'a donc été appliqué ; relisez la ressource et renvoyez la requête avec des conditions à jour.",
        "ko": "요청의 사전 조건이 맞지 않아 아무것도 적용되지 않았습니다. 리소스를 다시 읽고 현재 조건으로 요청을 보내세요.",
    },
    "rest.412.if-match": {
        "en": "The resource no longer has the ETag you sent in If-Match (someone changed or deleted it), so nothing was applied; read it again, redo your change and send it with the new ETag.",
        "fr": "La ressource n'a plus l'ETag envoyé dans If-Match (quelqu'un l'a modifiée ou supprimée), rien n'a donc été appliqué ; relisez-la, refaites la modification et renvoyez-la avec le nouvel ETag.",
        "ko": "리소스가 If-Match로 보낸 ETag와 더 이상 일치하지 않습니다(누군가 수정하거나 삭제함). 아무것도 적용되지 않았으니 다시 읽고 변경을 다시 적용해 새 ETag와 함께 보내세요.",
    },
    "rest.412.if-match.any": {
        "en": "Nothing exists there: If-Match: * asked to write only over an existing resource, so nothing was written. Create it (If-None-Match: *, or without a condition), or check the URL.",
        "fr": "Rien n'existe à cet endroit : If-Match: * demandait de n'écrire que sur une ressource existante, rien n'a donc été écrit. Créez-la (If-None-Match: *, ou sans condition), ou vérifiez l'URL.",
        "ko": "그 위치에 아무것도 없습니다. If-Match: *는 기존 리소스에만 쓰라고 요청했으므로 아무것도 쓰지 않았습니다. 리소스를 만들거나(If-None-Match: * 또는 조건 없이) URL을 확인하세요.",
    },
    "contacts.412.if-match.any": {
        "en": "Nothing exists there: If-Match: * asked to write only over an existing item, so nothing was written. Create it first, or check the URL.",
        "fr": "Rien n'existe à cet endroit : If-Match: * demandait de n'écrire que sur un élément existant, rien n'a donc été écrit. Créez-le d'abord, ou vérifiez l'URL.",
        "ko": "그 위치에 아무것도 없습니다. If-Match: *는 기존 항목에만 쓰라고 요청했으므로 아무것도 쓰지 않았습니다. 먼저 항목을 만들거나 URL을 확인하세요.",
    },
    "rest.412.if-none-match": {
        "en": "The resource already exists, and If-None-Match: * asked to create it only if it did not; nothing was written. Read it, or update it with If-Match instead.",
        "fr": "La ressource existe déjà, et If-None-Match: * demandait de ne la créer que si elle n'existait pas ; rien n'a été écrit. Lisez-la, ou modifiez-la plutôt avec If-Match.",
        "ko": "리소스가 이미 있는데 If-None-Match: *는 없을 때만 만들라고 요청했으므로 아무것도 쓰지 않았습니다. 리소스를 읽거나, 대신 If-Match로 수정하세요.",
    },
    "rest.412.if-unmodified-since": {
        "en": "The resource changed after the If-Unmodified-Since time you sent, so nothing was applied; read it again, redo your change and send it with the new time.",
        "fr": "La ressource a changé après la date If-Unmodified-Since envoyée, rien n'a donc été appliqué ; relisez-la, refaites la modification et renvoyez-la avec la nouvelle date.",
        "ko": "보낸 If-Unmodified-Since 시각 이후에 리소스가 바뀌어 아무것도 적용되지 않았습니다. 다시 읽고 변경을 다시 적용해 새 시각과 함께 보내세요.",
    },
    "rest.429": {
        "en": "You sent too many requests; wait the Retry-After delay before trying again.",
        "fr": "Vous avez envoyé trop de requêtes ; attendez le délai Retry-After avant de réessayer.",
        "ko": "요청을 너무 많이 보냈습니다. Retry-After 시간만큼 기다린 뒤 다시 시도하세요.",
    },
    "rest.500": {
        "en": "The server failed while handling the request; try again later, and repeat a write only if doing it twice is safe.",
        "fr": "Le serveur a échoué en traitant la requête ; réessayez plus tard, et ne répétez une écriture que si la faire deux fois est sans risque.",
        "ko": "서버가 요청을 처리하다 실패했습니다. 나중에 다시 시도하되, 쓰기는 두 번 실행해도 안전할 때만 반복하세요.",
    },
    "rest.501": {
        "en": "The server does not implement what the request needs; retrying will not help.",
        "fr": "Le serveur n'implémente pas ce dont la requête a besoin ; réessayer ne servira à rien.",
        "ko": "서버가 요청에 필요한 기능을 구현하지 않았습니다. 다시 시도해도 소용없습니다.",
    },
    "rest.503": {
        "en": "The server is overloaded or in maintenance and did nothing; try again after the Retry-After delay.",
        "fr": "Le serveur est surchargé ou en maintenance et n'a rien fait ; réessayez après le délai Retry-After.",
        "ko": "서버가 과부하 상태이거나 점검 중이라 아무 작업도 하지 않았습니다. Retry-After 시간이 지난 뒤 다시 시도하세요.",
    },
    "rest.504": {
        "en": "A gateway gave up waiting for the server; the request may or may not have been applied, so check before repeating a write.",
        "fr": "Une passerelle a renoncé à attendre le serveur ; la requête a pu être appliquée ou non, vérifiez donc avant de répéter une écriture.",
        "ko": "게이트웨이가 서버를 기다리다 포기했습니다. 요청이 적용되었을 수도 있으니 쓰기를 반복하기 전에 확인하세요.",
    },
    "unknown.success": {
        "en": "The request succeeded with a status this profile has no specific meaning for; the result carries the status and the body as it came.",
        "fr": "La requête a réussi avec un statut sans signification propre pour ce profil ; le résultat porte le statut et le corps tel quel.",
        "ko": "이 프로필이 따로 정의하지 않은 상태 코드로 요청이 성공했습니다. 결과에는 상태 코드와 받은 그대로의 본문이 있습니다.",
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
